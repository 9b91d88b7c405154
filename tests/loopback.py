"""A loopback HTTP server for the tests: serves files as several 'mirrors', each with its own behaviour.

    with LoopbackServer(files, {"good": "ok", "broken": "500"}) as server:
        server.url("good")   # http://127.0.0.1:PORT/good/

Behaviours: ok, 404, 500, reset (connection reset mid-body), short (body shorter than its Content-Length),
wrong (wrong bytes, right length), slow (answers only after `slow_seconds`), stall (half the body, then silence
for `slow_seconds`), redirect (a redirect loop).
It binds 127.0.0.1 only, answers at most `max_requests` requests, and stops when the `with` block ends.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer:
    def __init__(
        self,
        files: dict[str, bytes],
        mirrors: dict[str, str],
        *,
        slow_seconds: float = 2.0,
        max_requests: int = 200,
    ) -> None:
        self.files = files
        self.mirrors = mirrors
        self.slow_seconds = slow_seconds
        self.max_requests = max_requests
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, mirror: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/{mirror}/"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                _, mirror, name = ([*self.path.split("/", 2), "", ""])[:3]
                with server._lock:
                    server.requests[mirror] += 1
                    total = sum(server.requests.values())
                behaviour = server.mirrors.get(mirror, "404")
                body = server.files.get(name)
                if total > server.max_requests or body is None or behaviour == "404":
                    self.send_error(404)
                elif behaviour == "500":
                    self.send_error(500)
                elif behaviour == "redirect":
                    self.send_response(302)
                    self.send_header("Location", self.path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif behaviour == "slow":
                    time.sleep(server.slow_seconds)
                    self._send(body)
                elif behaviour == "wrong":
                    self._send(bytes(b ^ 0xFF for b in body[:64]) + body[64:])
                elif behaviour == "stall":
                    self._send(body[: len(body) // 2], declared=len(body))
                    self.wfile.flush()
                    time.sleep(server.slow_seconds)
                    self.close_connection = True
                elif behaviour in ("short", "reset"):
                    self._send(body[: len(body) // 2], declared=len(body))
                    if behaviour == "reset":  # SO_LINGER 0: close with RST, not FIN
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                else:
                    self._send(body)

            def _send(self, body: bytes, declared: int | None = None) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body) if declared is None else declared))
                self.end_headers()
                self.wfile.write(body)

        return Handler
