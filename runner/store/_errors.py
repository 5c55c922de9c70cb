"""Errors raised by the store package.

    StoreError                 the root: anything this package raises on purpose
    ├── DataDirError           the data folder cannot be created or used; carries the path
    ├── NotAStoreError         the file is not a callflow database (another program's, or garbage)
    ├── StoreVersionError      the file was written by a newer callflow; carries both versions
    ├── StoreLockedError       another process held the database longer than the busy timeout
    ├── StoreAccessError       SQLite could not open, read or write the file (permissions, disk full)
    ├── RecordError            a stored or exported record cannot be read back as a CallRecord
    ├── CampaignExistsError    a new campaign takes a name already used; carries the name
    └── CampaignNotFoundError  no campaign has this name; carries the name

Every message is one line that names the file, fit to print after ``error:``.
"""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Root of every error this package raises on purpose."""


class DataDirError(StoreError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot use data folder {path}: {reason}")
        self.path = path
        self.reason = reason


class NotAStoreError(StoreError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"{path} is not a callflow database ({reason}); move it away or pick another --data-dir"
        )
        self.path = path
        self.reason = reason


class StoreVersionError(StoreError):
    def __init__(self, path: Path, found: int, supported: int) -> None:
        super().__init__(
            f"{path} has schema version {found}, but this callflow reads up to version {supported}; "
            "upgrade callflow"
        )
        self.path = path
        self.found = found
        self.supported = supported


class StoreLockedError(StoreError):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__(f"{path} stayed locked by another process for more than {timeout:g} s")
        self.path = path
        self.timeout = timeout


class StoreAccessError(StoreError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot use {path}: {reason}")
        self.path = path
        self.reason = reason


class RecordError(StoreError):
    """``call_id`` is None when the data is too broken to have one; ``path`` is None
    when the data did not come from a file (``record_from_json`` on its own)."""

    def __init__(self, reason: str, call_id: str | None = None, path: Path | None = None) -> None:
        where = f"call record '{call_id}'" if call_id is not None else "a call record"
        prefix = f"{path}: " if path is not None else ""
        super().__init__(f"{prefix}{where} cannot be read: {reason}")
        self.call_id = call_id
        self.path = path
        self.reason = reason


class CampaignExistsError(StoreError):
    def __init__(self, path: Path, name: str) -> None:
        super().__init__(
            f"{path} already holds a campaign named '{name}'; choose another --name, "
            f"or see it with 'callflow campaign status {name}'"
        )
        self.path = path
        self.name = name


class CampaignNotFoundError(StoreError):
    def __init__(self, path: Path, name: str) -> None:
        super().__init__(f"{path} holds no campaign named '{name}'; 'callflow campaign list' shows them")
        self.path = path
        self.name = name
