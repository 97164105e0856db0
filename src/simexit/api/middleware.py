"""One ASGI middleware for every request: request id, body size limit, security headers, metrics, logs."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simexit.api.context import request_id_var
from simexit.api.observability import LATENCY, REQUESTS

log = logging.getLogger("simexit.http")
UPLOAD_STATE = "upload_path"  # request.state member: the uploaded body, spooled to a temporary file
_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
TMF_PREFIX = "/tmf-api/"  # the TM Forum APIs (api.routes.tmf_*): errors in their own shape
DEFAULT_CSP = ("default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; "
               "form-action 'self'")


class ApiMiddleware:
    def __init__(self, app: ASGIApp, *, max_body: int, log_requests: bool,
                 uploads: dict[str, tuple[int, int]] | None = None, upload_dir: str | None = None) -> None:
        self.app = app
        self.max_body = max_body
        self.log_requests = log_requests
        self.uploads = uploads or {}  # POST path -> (most bytes, most lines): the body goes to a file
        self.upload_dir = upload_dir

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = given if _ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        status_box = [500]
        https = scope.get("scheme") == "https"

        upload = self.uploads.get(scope["path"]) if scope["method"] == "POST" else None
        max_body = upload[0] if upload else self.max_body
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body):
            await self._too_large(scope, send, rid, max_body)
            request_id_var.reset(token)
            return
        spooled: str | None = None
        if upload:
            spooled = await self._spool(receive, *upload)
            if spooled is None:
                await self._too_large(scope, send, rid, upload[0], upload[1])
                request_id_var.reset(token)
                return
            scope.setdefault("state", {})[UPLOAD_STATE] = spooled
            receive = _empty_body

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise HTTPException(413, "the request body is too large")
            return message

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                raw = list(message.get("headers", []))
                present = {k.lower() for k, _ in raw}
                extra = [(b"x-request-id", rid.encode()), (b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", DEFAULT_CSP.encode()))
                if b"cache-control" not in present and scope["path"].startswith(("/api/", "/gsma/")):
                    extra.append((b"cache-control", b"no-store"))
                if https:
                    extra.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
                message["headers"] = raw + [(k, v) for k, v in extra if k not in present]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUESTS.labels(scope["method"], route, str(status_box[0])).inc()
            LATENCY.labels(scope["method"], route).observe(elapsed)
            if self.log_requests or status_box[0] >= 500:
                log.log(logging.ERROR if status_box[0] >= 500 else logging.INFO, "request",
                        extra={"method": scope["method"], "route": route, "status": status_box[0],
                               "duration_ms": round(elapsed * 1000, 2)})
            request_id_var.reset(token)
            if spooled is not None:
                with contextlib.suppress(OSError):
                    os.unlink(spooled)  # a route that keeps the upload has renamed it

    async def _spool(self, receive: Receive, max_bytes: int, max_lines: int) -> str | None:
        """Stream the body to a temporary file, never holding more than one chunk; None when too large."""
        fd, name = tempfile.mkstemp(prefix="simexit-upload-", dir=self.upload_dir)
        size = 0
        lines = LineEnds()
        ok = False
        try:
            with os.fdopen(fd, "wb") as fh:
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return None
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > max_bytes or lines.feed(chunk) > max_lines + 1:  # + 1: a CSV's header line
                        return None
                    fh.write(chunk)
                    if not message.get("more_body", False):
                        break
            ok = True
            return name
        finally:
            if not ok:
                os.unlink(name)

    async def _too_large(self, scope: Scope, send: Send, rid: str, max_body: int,
                         max_lines: int | None = None) -> None:
        detail = f"request bodies are at most {max_body} bytes" + (f" and {max_lines} lines" if max_lines else "")
        body: dict[str, Any] = {"type": "urn:simexit:problem:body_too_large", "title": "Body too large",
                                "status": 413, "detail": detail,
                                "code": "BODY_TOO_LARGE", "request_id": rid}
        status, ctype = 413, b"application/problem+json"
        if scope["path"].startswith(TMF_PREFIX):  # the TMF APIs list no 413: a TMF Error with 400 (api.tmf.door)
            status, ctype = 400, b"application/json"
            body = {"@type": "Error", "code": "BODY_TOO_LARGE", "reason": detail, "status": "400"}
        data = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", ctype),
                                (b"content-length", str(len(data)).encode()), (b"x-request-id", rid.encode()),
                                (b"x-content-type-options", b"nosniff"), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": data})
        REQUESTS.labels(scope["method"], "unmatched", str(status)).inc()


class LineEnds:
    """Counts line endings in a body arriving in chunks: LF, CR LF and CR alone each end a line (the bulk file
    reader takes all three), a CR LF split between two chunks once."""

    def __init__(self) -> None:
        self.count = 0
        self._after_cr = False

    def feed(self, chunk: bytes) -> int:
        if chunk:
            lf, cr, crlf = chunk.count(b"\n"), chunk.count(b"\r"), chunk.count(b"\r\n")
            self.count += lf + cr - crlf - (1 if self._after_cr and chunk.startswith(b"\n") else 0)
            self._after_cr = chunk.endswith(b"\r")
        return self.count


async def _empty_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
