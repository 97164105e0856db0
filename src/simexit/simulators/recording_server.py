"""The common shape of an HTTP simulator: a threaded server on 127.0.0.1, a record of every request, and
control endpoints to make it fail or be slow.

Control endpoints (JSON), the same on every simulator:

- ``GET  /_sim/received`` — every request received so far, oldest first (``method``, ``path``, ``headers``,
  ``body``, ``status`` answered);
- ``POST /_sim/behaviour`` — ``{"fail_status": 503, "fail_times": 2, "delay_s": 1.5}``: answer the next
  ``fail_times`` requests (all, if null) with ``fail_status``, and wait ``delay_s`` before each answer;
- ``POST /_sim/reset`` — forget the state, the record and the behaviour.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Behaviour:
    fail_status: int | None = None
    fail_times: int | None = None  # None: every request while fail_status is set
    delay_s: float = 0.0


class Reply:
    def __init__(self, status: int, body: Any, content_type: str = "application/json") -> None:
        self.status, self.body, self.content_type = status, body, content_type

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, ensure_ascii=False).encode()


class SimulatorServer:
    """Subclasses implement ``handle(method, path, headers, body) -> Reply`` and ``reset_state()``."""

    name = "simulator"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.behaviour = Behaviour()
        self.requests: list[dict[str, Any]] = []
        self.reset_state()
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name=f"sim-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- control (also reachable over HTTP)
    def set_behaviour(self, fail_status: int | None = None, fail_times: int | None = None,
                      delay_s: float = 0.0) -> None:
        with self._lock:
            self.behaviour = Behaviour(fail_status, fail_times, float(delay_s))

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.requests)

    def reset(self) -> None:
        with self._lock:
            self.behaviour = Behaviour()
            self.requests.clear()
            self.reset_state()

    # --- for subclasses
    def reset_state(self) -> None:
        pass

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        return Reply(404, {"error": "not found"})

    # --- dispatch
    def _control(self, method: str, path: str, body: bytes) -> Reply | None:
        if path == "/_sim/received" and method == "GET":
            return Reply(200, self.received())
        if path == "/_sim/behaviour" and method == "POST":
            try:
                data = json.loads(body or b"{}")
                self.set_behaviour(data.get("fail_status"), data.get("fail_times"), data.get("delay_s", 0.0))
            except (ValueError, TypeError, AttributeError) as e:
                return Reply(400, {"error": f"bad behaviour: {e}"})
            return Reply(200, {"ok": True})
        if path == "/_sim/reset" and method == "POST":
            self.reset()
            return Reply(200, {"ok": True})
        return None

    def _dispatch(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        control = self._control(method, path, body)
        if control is not None:
            return control
        with self._lock:
            b = self.behaviour
            fail = b.fail_status if b.fail_status and (b.fail_times is None or b.fail_times > 0) else None
            if fail and b.fail_times is not None:
                b.fail_times -= 1
        if b.delay_s:
            self._stopping.wait(b.delay_s)
        if fail:
            reply = Reply(fail, {"error": f"{self.name} simulator told to fail with {fail}"})
        else:
            with self._lock:
                reply = self.handle(method, path, headers, body)
        with self._lock:
            self.requests.append({"method": method, "path": path, "headers": headers,
                                  "body": _decoded(body), "status": reply.status})
        return reply


def _decoded(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode(errors="replace")


def _handler_for(sim: SimulatorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = sim._dispatch(self.command, self.path, headers, body)
            data = reply.encoded()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                pass

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # no access log: bodies hold personal data
            pass

    return Handler
