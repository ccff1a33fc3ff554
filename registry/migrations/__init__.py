"""Alembic migrations of the catalog. ``registry db upgrade`` applies them."""
