"""Use cases. Web views and CLI commands call these; these call the core modules."""
