"""OnePiece's exception tree.

Domain code and adapters raise these; only the edges translate them (the CLI
into one line and an exit code, the web layer into the error envelope).
Third-party exceptions are mapped at the adapter boundary with
``raise OurError(...) from exc``.

::

    OnePieceError
      ConfigError                 bad or missing configuration
      ValidationError             bad user input (names, manifests, CSV, frames)
      IntegrityError              checksum mismatch, partial object
      NothingToDo                 a command found nothing to act on (e.g. deliver)
      TrackerError
        TrackerUnavailable        tracker cannot be reached
        EntityNotFound            a project, shot, version... does not exist
        TrackerRejected           tracker refused the request (auth, schema)
        VersionConflict           a different file under an existing version name
      StorageError
        StorageUnavailable        endpoint or folder cannot be reached
        ObjectNotFound            key does not exist
      FarmError
        AdapterUnavailable        farm cannot be reached / client missing
        AdapterNotImplemented     farm does not support the operation
        JobRejected               farm refused the submission
          SceneNotFound           the scene to render does not exist (user input)
        FarmNotFound              no farm with that name is configured
          UnknownFarm             no farm is even known by that name (user input)
        JobNotFound               no job with that id
"""

from __future__ import annotations

from typing import Any


class OnePieceError(Exception):
    """Base class. ``hint`` says what the user can do about it."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.context: dict[str, Any] = context or {}

    def __str__(self) -> str:
        return self.message


class ConfigError(OnePieceError):
    """Configuration is malformed, inconsistent or missing."""


class DatabaseUnavailable(ConfigError):
    """The state database cannot be opened, reached or written."""


class DatabaseDamaged(DatabaseUnavailable):
    """The state database fails its integrity checks (empty, truncated, corrupt)."""


class ValidationError(OnePieceError):
    """User input is invalid (names, manifests, CSV rows, frame ranges)."""


class IdempotencyConflict(ValidationError):
    """An idempotency key is in use for another request, or still in flight."""


class IdempotencyInFlight(IdempotencyConflict):
    """The request that claimed this idempotency key has not recorded its job yet."""


class IntegrityError(OnePieceError):
    """Data does not match its recorded checksum or is incomplete."""


class HistoryDamaged(IntegrityError):
    """The render job history file is damaged: nothing is written into it."""


class NothingToDo(OnePieceError):
    """The command found nothing to act on."""


class TrackerError(OnePieceError):
    """Production tracker failure."""


class TrackerUnavailable(TrackerError):
    """The tracker cannot be reached."""


class EntityNotFound(TrackerError):
    """The requested tracker entity does not exist."""


class TrackerRejected(TrackerError):
    """The tracker refused the request (authentication, schema, permissions)."""


class VersionConflict(TrackerError):
    """A different file arrived under an existing version name."""


class StorageError(OnePieceError):
    """Object storage failure."""


class StorageUnavailable(StorageError):
    """The storage endpoint or root cannot be reached."""


class ObjectNotFound(StorageError):
    """The object does not exist."""


class ObjectConflict(StorageError):
    """The key already holds an object of other content, which is not overwritten."""


class FarmError(OnePieceError):
    """Render farm failure."""


class AdapterUnavailable(FarmError):
    """The farm cannot be reached or its client library is missing."""


class AdapterNotImplemented(FarmError):
    """The farm does not support this operation."""


class JobRejected(FarmError):
    """The farm refused the submission."""


class SceneNotFound(JobRejected):
    """The scene file to render does not exist: the user's input, not the farm's fault."""


class FarmNotFound(FarmError):
    """No farm is configured under that name."""


class UnknownFarm(FarmNotFound):
    """The name is not a farm OnePiece knows (a typo), rather than one left unconfigured."""


class JobNotFound(FarmError):
    """No job with that id."""
