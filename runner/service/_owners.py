"""Which processes are running calls from a data folder.

Several processes may use one data folder at once: ``callflow serve``, and a
``callflow call`` that started a server of its own on another port. Each call service
holds, for as long as it runs, an exclusive lock on a file of its own in the folder's
``running/``, and every call in flight is saved with the id of the process running it.
The operating system lets a lock go when its process ends, however it ends (SIGKILL
too), so a call whose owner's lock can be taken is run by no process, and a call whose
owner's lock is held is left alone by everyone else.

A lock rather than a pid, which an unrelated process may get again, or a heartbeat,
which costs a write every few seconds and a wait before a dead owner is known to be
dead. ``fcntl.flock`` is POSIX only, as the server is.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

RUNNING_FOLDER = "running"
# Dot-names are never owners' files: a sweep or a look never takes them for one.
_RECONCILE_LOCK = ".reconcile"


class Owners:
    """The owner files in ``data_dir/running``; ``id`` is this process's, once it has joined."""

    def __init__(self, data_dir: Path) -> None:
        self._folder = data_dir / RUNNING_FOLDER
        self.id = secrets.token_hex(8)
        self._held: int | None = None

    def join(self) -> None:
        """Hold this process's lock until ``leave`` (or the process ends); the files of
        owners that have ended are removed."""
        self._folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for path in self._folder.iterdir():
            if not path.name.startswith("."):
                self._holder(path, remove_if_free=True)
        temporary = self._folder / f".{self.id}"
        descriptor = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        os.write(descriptor, str(os.getpid()).encode())
        # Given its name only once locked: a file under an owner's name is held, or its
        # process has ended.
        os.replace(temporary, self._folder / self.id)
        self._held = descriptor

    def leave(self) -> None:
        if self._held is None:
            return
        (self._folder / self.id).unlink(missing_ok=True)
        os.close(self._held)
        self._held = None

    def running(self, owner: str | None) -> int | None:
        """The pid of the live process that runs calls as ``owner`` (this one's included);
        None when no process does (``owner`` None: a call saved before owners were kept)."""
        if owner is None:
            return None
        if owner == self.id and self._held is not None:
            return os.getpid()
        if "/" in owner or owner.startswith("."):
            return None  # not a name this module gives
        return self._holder(self._folder / owner, remove_if_free=False)

    @contextlib.contextmanager
    def reconciling(self) -> Iterator[None]:
        """One process at a time decides the fate of calls no process runs: two servers
        starting together never both take the same call."""
        self._folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(self._folder / _RECONCILE_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    @staticmethod
    def _holder(path: Path, *, remove_if_free: bool) -> int | None:
        """The pid in ``path`` while its lock is held; None once the lock is free."""
        try:
            descriptor = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                # Written before the file got its name: always there.
                return int(os.read(descriptor, 32) or b"0")
            if remove_if_free:
                path.unlink(missing_ok=True)
            return None
        finally:
            os.close(descriptor)
