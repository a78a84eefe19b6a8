"""Wake-ups between processes sharing a database on one machine.

Why. An API process that does not deliver (``serve --no-deliver``) writes jobs that a
``switchboard worker`` runs. The worker finds such jobs by looking every ``LOOK_SECONDS``
(outbox.py), so a message waited up to that long before its webhook left: at 300 messages/s the
split layout's p50 from injection to receipt was 29 ms against 3 ms for one process
(docs/performance.md). Here the writer tells the deliverers on this machine at once.

The other way round, a waiting assertion-API search (``/_sim/webhooks?Wait=10`` on the API
process) learnt of the worker's attempts only when it looked again, every 0.1 s
(``services/search.py``): so every process also tells the processes that serve the API when it
has written messages or attempts.

How. Each listening process binds a Unix datagram socket in a directory named after the database
(:func:`wake_directory`, private to the user), named after its role (:data:`DELIVER`: it runs
jobs; :data:`WATCH`: it serves the API, whose waiting searches want other processes' writes) and
its pid. A writer sends one empty datagram to every socket of a role but its own after a commit
that wrote what that role wants, at most once per event-loop turn however many commits finished
in it, and a listener passes them on at most once every ``SPACING_SECONDS``. A datagram carries
no data: it only makes the receiver look now. One may be dropped (the receiver's buffer is full
of unread ones, so it is woken anyway), and the looks every ``LOOK_SECONDS`` and
``RECHECK_SECONDS`` still find everything. Processes on other machines (PostgreSQL) are not
reached and keep finding by looking. Where Unix sockets do not exist (Windows) nothing is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import logging
import os
import secrets
import socket
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from switchboard.config import Config
from switchboard.domain.models import NewJob
from switchboard.ports import JobClaim

log = logging.getLogger("switchboard.wakeup")

# The roles a socket is bound for (the first part of its name).
DELIVER = "deliver"  # this process runs jobs: told when another wrote jobs
WATCH = "watch"  # this process serves the API: told when another wrote messages or attempts

# How long a writer trusts its list of listeners before reading the directory again: a worker
# started since is told of new jobs at most this late (it looks meanwhile anyway).
LISTING_SECONDS = 0.5
# A listener passes on at most one wake-up this often (one that comes sooner is passed on when
# the time is up): each wake-up makes the worker claim, a write that takes SQLite's one write
# lock from the API process. Measured at 300 messages/s, split: p99 7.3 ms with 2 ms, 10.5 ms
# with 5 ms, 13.5 ms with 10 ms; at 1,000/s the tail is the two writers' either way, and no
# spacing (a claim per commit) made it worst (docs/performance.md).
SPACING_SECONDS = 0.005


def wake_directory(config: Config) -> Path | None:
    """Where the listeners for ``config``'s database bind, or None where wake-ups do not exist.

    The name is a digest of the database (its absolute path, or the DSN) under a directory of
    the user's own in the system's temporary directory: short enough for a socket's path, and
    shared by every process of this user on this database."""
    database = config.database
    if database == ":memory:" or not hasattr(socket, "AF_UNIX") or not hasattr(os, "getuid"):
        return None  # an in-memory database has one process; Windows has no datagram sockets
    if "://" not in database:
        database = str(Path(database).expanduser().resolve())
    digest = hashlib.sha256(database.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"switchboard-{os.getuid()}" / digest


def _private(directory: Path) -> bool:
    """Create ``directory`` (and its parent) for this user only; False if someone else owns it."""
    try:
        directory.parent.mkdir(mode=0o700, exist_ok=True)
        directory.mkdir(mode=0o700, exist_ok=True)
        owners = {directory.parent.stat().st_uid, directory.stat().st_uid}
    except OSError as error:
        log.warning("wake-ups off: cannot create %s (%s)", directory, error)
        return False
    if owners != {os.getuid()}:
        log.warning("wake-ups off: %s belongs to another user", directory)
        return False
    return True


class WakeListener:
    """A process's socket for one role: calls ``on_wake`` on its event loop when told."""

    def __init__(self, directory: Path, role: str, on_wake: Callable[[], None]) -> None:
        self._directory = directory
        self._role = role
        self._on_wake = on_wake
        self._socket: socket.socket | None = None
        self._path: Path | None = None
        self._spacing: asyncio.TimerHandle | None = None
        self._woken_meanwhile = False

    def start(self) -> None:
        if not _private(self._directory):
            return
        # The pid says whose it is; the random part keeps two listeners of one process apart.
        path = self._directory / f"{self._role}-{os.getpid()}-{secrets.token_hex(4)}"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.bind(str(path))
        except OSError as error:
            sock.close()
            log.warning("wake-ups off: cannot bind %s (%s)", path, error)
            return
        sock.setblocking(False)
        asyncio.get_running_loop().add_reader(sock.fileno(), self._readable)
        self._socket, self._path = sock, path

    @property
    def path(self) -> Path | None:
        """Where it listens (None before ``start``, or when wake-ups are off)."""
        return self._path

    def _readable(self) -> None:
        assert self._socket is not None
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while True:  # take every datagram waiting: one look answers them all
                self._socket.recv(16)
        if self._spacing is not None:
            self._woken_meanwhile = True  # told once the spacing has passed
            return
        self._wake()

    def _wake(self) -> None:
        self._woken_meanwhile = False
        self._on_wake()
        self._spacing = asyncio.get_running_loop().call_later(SPACING_SECONDS, self._spaced)

    def _spaced(self) -> None:
        self._spacing = None
        if self._woken_meanwhile:
            self._wake()

    def close(self) -> None:
        if self._socket is None:
            return
        asyncio.get_running_loop().remove_reader(self._socket.fileno())
        if self._spacing is not None:
            self._spacing.cancel()
        self._socket.close()
        self._socket = None
        if self._path is not None:
            with contextlib.suppress(OSError):
                self._path.unlink()


class WakeSender:
    """A writer's side: ``wake()`` tells every listener of ``role`` on the database but ``own``,
    once per loop turn."""

    def __init__(self, directory: Path, role: str, own: WakeListener | None = None) -> None:
        self._directory = directory
        self._prefix = f"{role}-"
        self._own = own  # this composition's own listener: it hears its writes in-process
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setblocking(False)
        self._listeners: list[str] = []
        self._listed_at = float("-inf")
        self._pending = False

    def wake(self) -> None:
        if self._pending:
            return
        self._pending = True
        asyncio.get_running_loop().call_soon(self._send)

    def _send(self) -> None:
        self._pending = False
        if time.monotonic() - self._listed_at > LISTING_SECONDS:
            self._list()
        for path in tuple(self._listeners):  # _forget changes the list
            try:
                self._socket.sendto(b"", path)
            except (BlockingIOError, InterruptedError):
                pass  # its buffer is full of wake-ups it has not read yet: it will look
            except OSError as error:
                self._forget(path, error)

    def _list(self) -> None:
        self._listed_at = time.monotonic()
        try:
            own = self._own.path if self._own is not None else None
            self._listeners = [
                str(path)
                for path in self._directory.iterdir()
                if path.name.startswith(self._prefix) and path != own
            ]
        except OSError:
            self._listeners = []  # no directory: no listener has started yet

    def _forget(self, path: str, error: OSError) -> None:
        """A socket nobody listens on (its process was killed) or already gone."""
        self._listeners.remove(path)
        if error.errno == errno.ECONNREFUSED:
            with contextlib.suppress(OSError):
                os.unlink(path)  # bound by a dead process: nothing will ever read it

    def close(self) -> None:
        self._socket.close()


class WakingOutbox:
    """The outbox of a process that delivers nothing itself (``serve --no-deliver``): the jobs
    it writes wait in the database, and the delivering processes on this machine are told
    (none without a sender)."""

    def __init__(self, sender: WakeSender | None = None) -> None:
        self._sender = sender

    @contextlib.contextmanager
    def handoff(self, jobs: Sequence[NewJob]) -> Iterator[JobClaim | None]:
        yield None
        if jobs:  # only after the write committed: a woken worker must find the rows
            self.wake()

    def wake(self) -> None:
        if self._sender is not None:
            self._sender.wake()
