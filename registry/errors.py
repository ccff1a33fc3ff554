"""Domain errors. Each maps to one HTTP status in one table (``registry.api.errors``), never to a string."""

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


class BadRequest(RegistryError):
    code = "bad_request"


class NotFound(RegistryError):
    code = "not_found"


class Unauthorized(RegistryError):
    code = "unauthorized"


class Forbidden(RegistryError):
    code = "forbidden"


class Conflict(RegistryError):
    """The request contradicts what the catalog holds (a published version, a state)."""

    code = "conflict"


class VersionConflict(Conflict):
    """Different bytes under a version that is already published."""

    code = "version_conflict"


class BumpTooSmall(Conflict):
    """The version number is smaller than the changes require, and no reason was given."""

    code = "version_bump_too_small"


class InvalidTransition(Conflict):
    """The lifecycle does not allow this step from the current state."""

    code = "invalid_transition"


class TooManyAttempts(RegistryError):
    """Refused for a while after too many failures (sign-ins); ``details["retry_after"]`` in seconds."""

    code = "too_many_attempts"


class PreconditionFailed(RegistryError):
    """The client's copy is stale (If-Match does not match the current ETag)."""

    code = "precondition_failed"


class PreconditionRequired(RegistryError):
    code = "precondition_required"


class PayloadTooLarge(RegistryError):
    code = "payload_too_large"


class UnsupportedMediaType(RegistryError):
    code = "unsupported_media_type"


class ServiceUnavailable(RegistryError):
    """A transient overload (the write lock could not be had in time): retry later."""

    code = "service_unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    """The catalog's database cannot be reached (stopped, restarting, the connection cut): retry later.
    The engine reconnects by itself once it is back."""

    code = "database_unavailable"
