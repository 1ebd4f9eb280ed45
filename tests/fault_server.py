"""A real HTTP server on 127.0.0.1 that misbehaves the way a real BuzManager can.

Each request is answered by the fault currently set (`server.fault = "slow"`),
so a test says what upstream does and the client meets it over a real socket:
status codes and headers as sent, timeouts as waited, resets as the kernel
delivers them. `server.hits` counts the requests that reached it.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ONE_ROW = {"value": [{"RefNo": "512877", "ProductionStatus": "In Production", "DateScheduled": "2026-12-08"}]}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FaultServer

    def log_message(self, format, *args):
        pass

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None, length=None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _json(self, status: int, payload, headers: dict | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout: close() sends a TCP RST, as a crashing proxy does.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def do_GET(self):
        with self.server.lock:
            self.server.hits += 1
        fault = self.server.fault
        error = {"error": "unavailable"}
        if fault == "ok":
            self._json(200, ONE_ROW)
        elif fault == "503":
            self._json(503, error)
        elif fault == "503-retry-after":
            self._json(503, error, {"Retry-After": str(self.server.retry_after)})
        elif fault == "429":
            self._json(429, error)
        elif fault == "429-retry-after":
            self._json(429, error, {"Retry-After": str(self.server.retry_after)})
        elif fault == "500":
            self._json(500, error)
        elif fault in ("401", "403"):
            self._json(int(fault), error)
        elif fault == "redirect-login":
            self._send(302, b"", "text/html", {"Location": "/Account/Login?ReturnUrl=%2Freports"})
        elif fault == "html-200":
            self._send(200, b"<!doctype html><title>Sign in</title><form>...</form>", "text/html; charset=utf-8")
        elif fault == "invalid-json":
            self._send(200, b'{"value": [{"RefNo": "512877",]}', "application/json")
        elif fault == "truncated-json":
            # The server gives up half-way but closes cleanly, with no length promised.
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b'{"value": [{"RefNo": "5128')
            self.close_connection = True
        elif fault == "reset-mid-body":
            body = json.dumps(ONE_ROW).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:10])
            self.wfile.flush()
            time.sleep(0.05)
            self._reset()
        elif fault == "reset":
            self._reset()
        elif fault == "slow":
            time.sleep(self.server.delay)
            self._json(200, ONE_ROW)
        elif fault == "slow-body":
            body = json.dumps(ONE_ROW).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:10])
            self.wfile.flush()
            time.sleep(self.server.delay)
            self.wfile.write(body[10:])
        else:
            raise AssertionError(f"unknown fault {fault!r}")


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fault = "ok"
        self.retry_after: int | str = 120
        self.delay = 3.0
        self.hits = 0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/reports/DESDR"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def refused_url() -> str:
    """A loopback port nobody listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/reports/DESDR"


class SilentListener:
    """A listening socket whose accept queue is full, so new connections never complete:
    Linux drops further SYNs, and the client meets a real connect timeout."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.fillers = []
        # The queue holds backlog + 1 finished handshakes; fill it and never accept.
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(self.sock.getsockname())
            self.fillers.append(filler)
        time.sleep(0.2)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/reports/DESDR"

    def close(self) -> None:
        for filler in self.fillers:
            filler.close()
        self.sock.close()
