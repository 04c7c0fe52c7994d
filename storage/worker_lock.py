"""One worker process per SQLite database.

SQLite has one writer: a second process working the same queue adds lock contention, not
throughput, and is almost always a mistake (`bxhours serve` with its built-in worker plus a
`bxhours worker`). Scaling out is what PostgreSQL is for. The guard is an exclusive ``flock`` on a
file beside the database, so the kernel releases it when the process dies, however it dies.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from storage.crypto import sqlite_database_file


class WorkerLock:
    def __init__(self, database_url: str) -> None:
        database = sqlite_database_file(database_url) if database_url.startswith("sqlite") else None
        self.path: Path | None = database.with_name(database.name + ".worker.lock") if database else None
        self._fd: int | None = None

    def acquire(self) -> bool:
        """True when this process may run a worker (always on PostgreSQL and in-memory SQLite)."""
        if self.path is None or self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WorkerLock:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
