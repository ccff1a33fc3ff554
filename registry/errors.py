"""Domain errors. Each maps to one HTTP status in one table (the web layer's), never to a string."""

from __future__ import annotations

from typing import Any


class RegistryError(Exception):
    """Base of every error the registry raises on purpose."""

    code = "registry_error"

    def __init__(self, message: str, *, details: Any = None):
        super().__init__(message)
        self.message = message
        self.details = details


class UnknownSchemaVersion(RegistryError):
    code = "unknown_schema_version"

    def __init__(self, version: Any):
        super().__init__(f"unknown schema_version {version!r}")


class InvalidStandard(RegistryError):
    """The document does not load or validate; ``details`` lists every issue."""

    code = "invalid_standard"
