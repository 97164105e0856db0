"""The one base of every simulator: an ASGI server (uvicorn, HTTP/1.1 keep-alive, optional TLS with client
certificates) on 127.0.0.1 that records what it receives, and the same admin API on every simulator.

Admin API (under ``/_sim``; not part of any simulated protocol):
- ``GET /_sim/requests`` (alias ``/_sim/received``): every request received (``method``, ``path``,
  ``query``, ``headers``, ``body``, ``status`` answered), oldest first;
- ``GET /_sim/effects``: the state changes made (what a real system would have done), oldest first;
- ``POST /_sim/behaviour`` ``{"fail_status": 503, "fail_times": 2, "delay_s": 1.5, "rate_limit_per_s": 20}``:
  answer ``fail_status`` to the next ``fail_times`` requests (all while set, if null), wait ``delay_s``
  before each answer (without holding up other connections), and answer 429 with ``Retry-After`` beyond
  ``rate_limit_per_s`` requests a second. The older spelling ``{"fail": "unavailable"|"error"|"none",
  "fail_count": n, "delay_seconds": s}`` is still understood. Keys not given keep their value;
- ``POST /_sim/reset``: forget state, records and behaviour.
Records are bounded: the newest ``record_limit`` requests and effects are kept (``SIMEXIT_SIM_RECORD_LIMIT``,
default 10,000; ``GET /_sim/requests`` answers with ``X-Sim-Dropped`` when older ones were let go), so a
simulator under a 100,000-closure benchmark keeps a flat memory.
Subclasses implement ``handle(req) -> Reply`` and ``reset_state()``, and may add admin routes in ``admin``.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import uvicorn

from simexit.integrations.tls import CLIENT_CERT_PROTOCOL, peer_certificate


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    raw: bytes
    client_cert: bytes | None = None  # DER of the verified TLS client certificate

    @property
    def body(self) -> Any:
        """The JSON body (None when empty; the text when it is not JSON)."""
        return _decoded(self.raw)


class Reply:
    """A status, a body (bytes/str as they are; anything else as JSON, None as ``null``), extra headers."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None,
                 content_type: str = "application/json") -> None:
        self.status, self.body, self.headers, self.content_type = status, body, dict(headers or {}), content_type

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str) and not self.content_type.startswith("application/json"):
            return self.body.encode()
        return json.dumps(self.body, ensure_ascii=False).encode()


@dataclass
class Behaviour:
    fail_status: int | None = None
    fail_times: int | None = None  # None: every request while fail_status is set
    delay_s: float = 0.0
    rate_limit_per_s: float | None = None


@dataclass(frozen=True)
class ServerTls:
    """The server's certificate and key, and, with ``client_ca``, client certificates required (the SM-DP+)
    or merely verified when offered (``require_client_cert=False``)."""

    certfile: Path | str
    keyfile: Path | str | None = None
    client_ca: Path | str | None = None
    require_client_cert: bool = True


def record_limit() -> int:
    return max(1, int(os.environ.get("SIMEXIT_SIM_RECORD_LIMIT", "10000")))


class Simulator:
    name = "sim"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: ServerTls | None = None) -> None:
        self.lock = threading.RLock()
        self._lock = self.lock  # the spelling of the former recording_server base
        limit = record_limit()
        self.requests: deque[dict[str, Any]] = deque(maxlen=limit)
        self.effects: deque[dict[str, Any]] = deque(maxlen=limit)
        self.dropped = {"requests": 0, "effects": 0}
        self.behaviour = Behaviour()
        self._window: deque[float] = deque()
        self._host, self._port, self._tls = host, port, tls
        self.server: SimulatorServer | None = None
        self.reset_state()

    # -- for subclasses ----------------------------------------------------------------------------------------
    def reset_state(self) -> None:
        pass

    def handle(self, req: Request) -> Reply:
        return Reply(404, {"error": "not found"})

    def admin(self, method: str, path: str, body: Any) -> Reply | None:
        """Admin routes; subclasses add their own (seed, state) and call this for the rest."""
        if method == "GET" and path in ("/_sim/requests", "/_sim/received"):
            with self.lock:
                dropped = {"X-Sim-Dropped": str(self.dropped["requests"])} if self.dropped["requests"] else {}
                return Reply(200, self.received(), dropped)
        if method == "GET" and path == "/_sim/effects":
            with self.lock:
                return Reply(200, list(self.effects))
        if method == "POST" and path == "/_sim/behaviour":
            try:
                return Reply(200, self.set_behaviour(**_behaviour_args(body or {})))
            except (TypeError, ValueError) as e:
                return Reply(400, {"error": f"bad behaviour: {e}"})
        if method == "POST" and path == "/_sim/reset":
            self.reset()
            return Reply(200, {"reset": True, "ok": True})
        return None

    def effect(self, **what: Any) -> None:
        with self.lock:
            if len(self.effects) == self.effects.maxlen:
                self.dropped["effects"] += 1
            self.effects.append({"at": datetime.now(UTC).isoformat(), **what})

    # -- control, also from Python ------------------------------------------------------------------------------
    _UNSET: Any = object()

    def set_behaviour(self, fail_status: int | None = _UNSET, fail_times: int | None = _UNSET,
                      delay_s: float = _UNSET, rate_limit_per_s: float | None = _UNSET) -> dict[str, Any]:
        with self.lock:
            b = self.behaviour
            if fail_status is not self._UNSET:
                b.fail_status = int(fail_status) if fail_status else None
                b.fail_times = None
            if fail_times is not self._UNSET:
                b.fail_times = None if fail_times is None else int(fail_times)
            if delay_s is not self._UNSET:
                b.delay_s = float(delay_s or 0)
            if rate_limit_per_s is not self._UNSET:
                b.rate_limit_per_s = float(rate_limit_per_s) if rate_limit_per_s else None
                self._window.clear()
            return {"fail_status": b.fail_status, "fail_times": b.fail_times, "delay_s": b.delay_s,
                    "rate_limit_per_s": b.rate_limit_per_s}

    def received(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.requests)

    def reset(self) -> None:
        with self.lock:
            self.behaviour = Behaviour()
            self._window.clear()
            self.requests.clear()
            self.effects.clear()
            self.dropped = {"requests": 0, "effects": 0}
            self.reset_state()

    # -- lifecycle: ``start()`` serves this simulator itself (the former recording_server way) ------------------
    def _server(self) -> SimulatorServer:
        if self.server is None:  # binds the port: the URL is known before the server runs
            self.server = SimulatorServer(self, self._port, self._host, tls=self._tls)
        return self.server

    @property
    def url(self) -> str:
        return self._server().url

    def start(self) -> Simulator:
        self._server().start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def serve_forever(self) -> None:
        self._server().serve_forever()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- dispatch -------------------------------------------------------------------------------------------------
    def _injected(self) -> tuple[Reply | None, float]:
        """The injected answer (failure, rate limit) if any, and the delay to wait first."""
        with self.lock:
            b = self.behaviour
            if b.rate_limit_per_s:
                now = time.monotonic()
                while self._window and now - self._window[0] >= 1.0:
                    self._window.popleft()
                if len(self._window) >= max(1, int(b.rate_limit_per_s)):
                    return Reply(429, {"error": f"{self.name} simulator: rate limit "
                                                f"{b.rate_limit_per_s:g}/s"}, {"Retry-After": "1"}), b.delay_s
                self._window.append(now)
            if b.fail_status and (b.fail_times is None or b.fail_times > 0):
                if b.fail_times is not None:
                    b.fail_times -= 1
                return Reply(b.fail_status, {"error": f"{self.name} simulator told to fail with "
                                                      f"{b.fail_status}"}), b.delay_s
            return None, b.delay_s

    def _recorded(self, req: Request, reply: Reply) -> None:
        with self.lock:
            if len(self.requests) == self.requests.maxlen:
                self.dropped["requests"] += 1
            self.requests.append({"at": datetime.now(UTC).isoformat(), "method": req.method, "path": req.path,
                                  "query": req.query, "headers": req.headers, "body": req.body,
                                  "status": reply.status})

    def _handled(self, req: Request) -> Reply:
        try:
            with self.lock:
                reply = self.handle(req)
        except Exception as exc:  # a simulator bug must not hang the client
            reply = Reply(500, {"result": "Failed", "reason": f"simulator error: {exc}"})
        if isinstance(reply, tuple):  # (status, body, headers)
            reply = Reply(*reply)
        return reply

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        cert = peer_certificate(scope)
        req = Request(scope["method"], scope["path"],
                      {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()},
                      {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
                      b"".join(chunks), cert[0] if cert else None)
        reply = self.admin(req.method, req.path, req.body) if req.path.startswith("/_sim/") else None
        if reply is None:
            injected, delay = self._injected()
            if delay:
                await asyncio.sleep(delay)
            reply = injected or self._handled(req)
            self._recorded(req, reply)
        data = reply.encoded() if reply.status not in (204, 304) else b""
        headers = [(b"content-length", str(len(data)).encode())]
        if data:
            headers.append((b"content-type", reply.content_type.encode()))
        headers += [(k.lower().encode(), str(v).encode()) for k, v in reply.headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": data})


def _behaviour_args(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "fail" in body:  # the older spelling
        out["fail_status"] = {"none": None, "unavailable": 503, "error": 500}[body["fail"]]
        out["fail_times"] = body.get("fail_count")
    for k in ("fail_status", "fail_times", "rate_limit_per_s"):
        if k in body:
            out[k] = body[k]
    if "delay_seconds" in body or "delay_s" in body:
        out["delay_s"] = body.get("delay_s", body.get("delay_seconds"))
    return out


def _decoded(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


class SimulatorServer:
    """Serves a Simulator on ``host:port`` (0 = a free port) with uvicorn, in a background thread
    (``start``) or in the foreground (``serve_forever``)."""

    def __init__(self, sim: Simulator, port: int = 0, host: str = "127.0.0.1", *, tls: ServerTls | None = None) -> None:
        self.sim, self.host, self.tls = sim, host, tls or sim._tls
        sim.server = self
        kw: dict[str, Any] = {}
        if self.tls is not None:
            kw = {"ssl_certfile": str(self.tls.certfile),
                  "ssl_keyfile": str(self.tls.keyfile) if self.tls.keyfile else None}
            if self.tls.client_ca:
                kw.update(ssl_ca_certs=str(self.tls.client_ca),
                          ssl_cert_reqs=ssl.CERT_REQUIRED if self.tls.require_client_cert else ssl.CERT_OPTIONAL)
        config = uvicorn.Config(sim, host=host, port=port, log_level="error", access_log=False,
                                lifespan="off", http=CLIENT_CERT_PROTOCOL, timeout_keep_alive=30,
                                timeout_graceful_shutdown=1, **kw)
        self.uvicorn = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        # Bind now, so that ``url`` is known before start and a busy port fails here.
        config.load()
        import socket

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.set_inheritable(True)

    @property
    def url(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(target=self.serve_forever, name=f"sim-{self.sim.name}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.uvicorn.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {self.sim.name} simulator did not start")
            time.sleep(0.005)
        return self

    def serve_forever(self) -> None:
        self.uvicorn.run(sockets=[self._socket])

    def stop(self) -> None:
        self.uvicorn.should_exit = True
        if self._thread:
            self._thread.join(timeout=5)
        self._socket.close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# name → factory of a Simulator; ``simexit sim all`` starts every entry. Other simulators register here.
SIMULATORS: dict[str, Callable[[], Simulator]] = {}


def register(name: str, factory: Callable[[], Simulator]) -> None:
    SIMULATORS[name] = factory
