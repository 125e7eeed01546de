"""A tiny threaded HTTP server on 127.0.0.1 shared by the fake servers."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[["Request"], tuple[int, dict[str, str], bytes]]


class Request:
    """One received request (method, path, headers with lowercase names, raw body)."""

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method, self.path, self.headers, self.body = method, path, headers, body

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"Request({self.method} {self.path}, {len(self.body)} bytes)"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class LoopbackServer:
    """Serve `handler(request) -> (status, headers, body)` on 127.0.0.1:<free port> in a thread."""

    def __init__(self, handler: Handler) -> None:
        outer = self

        class _RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # TCP_NODELAY: the headers and the body go out in two writes, and with Nagle's algorithm the body
            # waited for the client's delayed ACK of the headers, adding ~40 ms to every answer (a 20 ms fake
            # model answered in ~65 ms, which capped bench/throughput_runs.py). Real servers set it too.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                return None

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                if len(body) < length:
                    # The client went away mid-request (a SIGKILLed worker): like any HTTP server, nothing was
                    # received. Recording the stub would count as a delivery with a different (cut) body.
                    self.close_connection = True
                    return
                req = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                try:
                    status, headers, payload = outer.handler(req)
                except Exception as exc:  # noqa: BLE001 - a broken fake answers 500
                    status, headers, payload = 500, {"content-type": "text/plain"}, str(exc).encode()
                self.send_response(status)
                sent = {k.lower() for k in headers}
                for name, value in headers.items():
                    if value != "":  # an empty value suppresses the automatic header
                        self.send_header(name, value)
                if "content-length" not in sent:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        self.handler = handler
        self._httpd = _Server(("127.0.0.1", 0), _RequestHandler)
        self.port = self._httpd.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def json_response(status: int, obj: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(obj).encode()
