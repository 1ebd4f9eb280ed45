"""Waking a waiting process at once: the worker when a job is queued, a web thread when its job is done.

Polling costs whoever polls a fixed delay on every cold report (the broker looked every
0.2 s, the web thread too: ~0.3 s of a 0.5 s round trip). Here the waiter listens and the
other side says when:

- on PostgreSQL, LISTEN/NOTIFY: across processes and machines, delivered at commit;
- on SQLite (one machine by nature), a datagram to each Unix socket a waiter opened in a
  private folder, named after the channel.

A waiter still looks on its own after its timeout, so a wake-up lost (a process restarted
between the two) costs at most that, never a hang. Listen first, then check, then wait:
a wake-up that comes between the check and the wait is kept for the wait.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)


def _is_postgres() -> bool:
    return connections["default"].vendor == "postgresql"


def _channel_name(channel: str) -> str:
    # PostgreSQL identifiers (and socket file names) stay short and plain whatever the channel says.
    return "buzeta_" + hashlib.sha256(channel.encode()).hexdigest()[:24]


def _socket_dir() -> Path:
    """A private folder for the sockets, short enough for AF_UNIX paths, one per data directory."""
    tag = hashlib.sha256(str(settings.DATA_DIR).encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"buzeta-wake-{tag}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


class Listener:
    """Waits for wake-ups on one channel; `wait` returns True when woken, False when its time ran out."""

    def wait(self, timeout: float) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _PostgresListener(Listener):
    def __init__(self, channel: str, *, dedicated: bool) -> None:
        self.name = _channel_name(channel)
        if dedicated:  # a long-lived listener (the broker): its own connection, outside Django's recycling
            wrapper = connections["default"]
            self.connection = wrapper.get_new_connection(wrapper.get_connection_params())
            self.owned = True
        else:  # a web thread's wait: its request's connection
            wrapper = connections["default"]
            wrapper.ensure_connection()
            self.connection = wrapper.connection
            self.owned = False
        self.connection.autocommit = True if self.owned else self.connection.autocommit
        self.connection.execute(f"LISTEN {self.name}")

    def wait(self, timeout: float) -> bool:
        return any(True for _ in self.connection.notifies(timeout=max(timeout, 0.0), stop_after=1))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.execute(f"UNLISTEN {self.name}")
            if self.owned:
                self.connection.close()


class _SocketListener(Listener):
    def __init__(self, channel: str) -> None:
        self.path = _socket_dir() / f"{_channel_name(channel)}.{secrets.token_hex(4)}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))

    def wait(self, timeout: float) -> bool:
        self.sock.settimeout(max(timeout, 0.001))
        try:
            self.sock.recv(16)
        except (TimeoutError, BlockingIOError):
            return False
        self.sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while True:  # several wake-ups while we were busy are one: look once
                self.sock.recv(16)
        return True

    def close(self) -> None:
        self.sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def listener(channel: str, *, dedicated: bool = False) -> Listener:
    """Start listening on `channel` (close it when done). `dedicated`: a listener that outlives requests."""
    if _is_postgres():
        return _PostgresListener(channel, dedicated=dedicated)
    return _SocketListener(channel)


@contextlib.contextmanager
def listening(channel: str) -> Iterator[Listener]:
    opened = listener(channel)
    try:
        yield opened
    finally:
        opened.close()


def wake(channel: str) -> None:
    """Wake whoever listens on `channel` now; nobody listening is fine. Never raises: waiters look anyway."""
    try:
        if _is_postgres():
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, '')", [_channel_name(channel)])
            return
        name = _channel_name(channel)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            # Never blocks: a listener whose queue is full (a few datagrams on Linux) has wake-ups waiting.
            sender.setblocking(False)
            for path in _socket_dir().glob(f"{name}.*"):
                try:
                    sender.sendto(b"1", str(path))
                except (ConnectionRefusedError, FileNotFoundError):
                    with contextlib.suppress(OSError):
                        os.unlink(path)  # a waiter that died without closing
                except OSError:  # its queue is full (BlockingIOError): it has wake-ups waiting already
                    pass
    except Exception as exc:  # the waiter's own timeout covers a wake-up that could not be sent
        log.warning("could not wake %s: %s", channel.split(":", 1)[0], exc)
