"""The Open5GS WebUI (``webui/server/``; PROTOCOLS.md §C, "Behaviour a faithful simulator must reproduce").

- Log-in: ``GET /api/auth/csrf`` (session cookie ``connect.sid`` + token) → ``POST /api/auth/login`` with the
  cookie and ``X-CSRF-Token`` → **302** to ``/`` and a **regenerated session** (new cookie; the old token is
  dead), or 401 → ``GET /api/auth/session`` → ``{"csrfToken", "user", "authToken": <JWT HS256, no expiry>}``.
  admin/1423 exists only outside production mode.
- ``/api/db/*``: a missing or bad ``Authorization: Bearer <JWT>`` → 401; a non-GET without the session cookie
  and its ``X-CSRF-Token`` (or body ``_csrf``) → **403 with an HTML page** ("CSRF token missing/mismatch",
  just "Forbidden" in production). No role check.
- ``Subscriber`` by ``imsi``: GET → the document (with ``_id``, ``__v``) or 404
  ``{"name":"Error","message":"Not Found"}``; ``GET ?query={"msisdn":…}`` → a list; PATCH (JSON only, else 400)
  sets the schema's fields and **silently drops the others** (``request_cancel_location`` included) → 200 with
  the document; DELETE → 204, then 404.
- Nothing in Open5GS enforces the bar: a barred subscriber keeps authenticating and keeps service (the state
  says ``service: "continues"``), and deleting sends no Cancel-Location: service ends at the UE's next
  authentication (``service: "until_next_authentication"``).
Admin: ``POST /_sim/seed`` ``[{"imsi", "msisdn"}]``; ``GET /_sim/state``. Effects: ``bar``, ``delete``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any
from urllib.parse import parse_qs

from simexit.simulators.http_server import Reply, Request, Simulator, register

SCHEMA = frozenset({"imsi", "msisdn", "imeisv", "security", "mme_host", "mme_realm", "purge_flag", "ambr", "slice",
                    "access_restriction_data", "network_access_mode", "subscribed_rau_tau_timer", "schema_version",
                    "subscriber_status", "operator_determined_barring"})
NOT_FOUND = {"name": "Error", "message": "Not Found"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Open5gsSimulator(Simulator):
    name = "open5gs"

    def __init__(self, username: str = "admin", password: str = "1423", *, production: bool = False) -> None:
        self.production = production
        self.accounts = {} if production and (username, password) == ("admin", "1423") else {username: password}
        self.jwt_secret = secrets.token_bytes(32)
        super().__init__()

    def reset_state(self) -> None:
        self.subscribers: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}  # cookie → {"csrf", "user"}

    # -- admin -----------------------------------------------------------------------------------------------
    def admin(self, method: str, path: str, body: Any) -> Reply | None:
        if method == "POST" and path == "/_sim/seed":
            with self.lock:
                for e in body or []:
                    imsi = str(e["imsi"])
                    self.subscribers[imsi] = {
                        "_id": secrets.token_hex(12), "imsi": imsi, "msisdn": [str(e["msisdn"]).lstrip("+")],
                        "security": {"k": "0" * 32, "opc": "0" * 32, "amf": "8000"}, "subscriber_status": 0,
                        "operator_determined_barring": 0, "mme_host": ["mme.sim"], "__v": 0, "service": "attached"}
                return Reply(200, {"subscribers": len(self.subscribers)})
        if method == "GET" and path == "/_sim/state":
            with self.lock:
                return Reply(200, {"subscribers": list(self.subscribers.values())})
        return super().admin(method, path, body)

    # -- sessions and tokens ---------------------------------------------------------------------------------
    def _cookie(self, req: Request) -> str | None:
        for part in req.headers.get("cookie", "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == "connect.sid" and v in self.sessions:
                return v
        return None

    def _new_session(self, user: str | None = None) -> tuple[str, dict[str, Any]]:
        sid = secrets.token_urlsafe(24)
        self.sessions[sid] = {"csrf": secrets.token_urlsafe(18), "user": user}
        return sid, self.sessions[sid]

    def _jwt(self, user: str) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps({"user": {"_id": hashlib.sha1(user.encode()).hexdigest()[:24],
                                            "username": user, "roles": ["admin"]}}).encode())
        sig = _b64(hmac.new(self.jwt_secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        return f"{header}.{payload}.{sig}"

    def _jwt_ok(self, req: Request) -> bool:
        auth = req.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return False
        parts = auth[7:].split(".")
        if len(parts) != 3:
            return False
        expected = _b64(hmac.new(self.jwt_secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
        return hmac.compare_digest(expected, parts[2])  # no expiry: a token is good until the secret changes

    def _csrf_error(self, req: Request) -> Reply | None:
        sid = self._cookie(req)
        body = req.body if isinstance(req.body, dict) else {}
        token = req.headers.get("x-csrf-token") or body.get("_csrf")
        if not token:
            problem = "CSRF token missing"
        elif sid is None or not hmac.compare_digest(token, self.sessions[sid]["csrf"]):
            problem = "CSRF token mismatch"
        else:
            return None
        page = "Forbidden" if self.production else f"<pre>ForbiddenError: {problem}<br> &nbsp; &nbsp;at csrf</pre>"
        return Reply(403, page, content_type="text/html; charset=utf-8")

    # -- routes ----------------------------------------------------------------------------------------------
    def handle(self, req: Request) -> Reply:
        if req.path == "/api/auth/csrf" and req.method == "GET":
            sid = self._cookie(req)
            session = self.sessions[sid] if sid else None
            headers = {}
            if session is None:
                sid, session = self._new_session()
                headers = {"Set-Cookie": f"connect.sid={sid}; Path=/; HttpOnly"}
            return Reply(200, {"csrfToken": session["csrf"]}, headers)
        if req.path == "/api/auth/login" and req.method == "POST":
            problem = self._csrf_error(req)
            if problem:
                return problem
            body = req.body if isinstance(req.body, dict) else {}
            user, password = body.get("username"), body.get("password")
            if user not in self.accounts or self.accounts[user] != password:
                return Reply(401, "Unauthorized", content_type="text/plain")
            self.sessions.pop(self._cookie(req) or "", None)  # passport 0.6 regenerates the session
            sid, _ = self._new_session(user)
            return Reply(302, "Found. Redirecting to /", {"Location": "/", "Set-Cookie": f"connect.sid={sid}; "
                                                          "Path=/; HttpOnly"}, content_type="text/plain")
        if req.path == "/api/auth/session" and req.method == "GET":
            sid = self._cookie(req)
            if sid is None or not self.sessions[sid]["user"]:
                return Reply(200, {})
            s = self.sessions[sid]
            return Reply(200, {"clientMaxAge": 60000, "csrfToken": s["csrf"], "user": {"username": s["user"]},
                               "authToken": self._jwt(s["user"])})
        if req.path.startswith("/api/db/Subscriber"):
            if not self._jwt_ok(req):
                return Reply(401, "Unauthorized", content_type="text/plain")
            if req.method != "GET":
                problem = self._csrf_error(req)
                if problem:
                    return problem
            return self._subscriber(req)
        return Reply(404, "Not Found", content_type="text/plain")

    def _subscriber(self, req: Request) -> Reply:
        rest = req.path.removeprefix("/api/db/Subscriber").strip("/")
        if not rest:
            if req.method == "GET":
                query = json.loads(parse_qs(f"query={req.query.get('query', '{}')}")["query"][0] or "{}")
                found = [d for d in self.subscribers.values()
                         if all((v in d.get(k, [])) if isinstance(d.get(k), list) else d.get(k) == v
                                for k, v in query.items())]
                return Reply(200, [_public(d) for d in found])
            return Reply(405, "bulk writes are not simulated", content_type="text/plain")
        doc = self.subscribers.get(rest)
        if req.method == "GET":
            return Reply(200, _public(doc)) if doc else Reply(404, NOT_FOUND)
        if req.method == "PATCH":
            if "application/json" not in req.headers.get("content-type", ""):
                return Reply(400, {"name": "Error", "message": "missing_content_type"})
            if doc is None:
                return Reply(404, NOT_FOUND)
            changes = {k: v for k, v in (req.body or {}).items() if k in SCHEMA and k != "imsi"}  # strict schema
            was = doc.get("subscriber_status")
            doc.update(changes)
            doc["__v"] += 1
            if was != 1 and doc.get("subscriber_status") == 1:
                # stored and sent in ULA/IDR, but neither the MME nor the AMF enforces it
                self.effect(kind="bar", imsi=rest, service="continues")
            return Reply(200, _public(doc))
        if req.method == "DELETE":
            if doc is None:
                return Reply(404, NOT_FOUND)
            del self.subscribers[rest]
            # no Cancel-Location goes out: the UE keeps service until it authenticates again
            self.effect(kind="delete", imsi=rest, service="until_next_authentication")
            return Reply(204, b"")
        return Reply(405, "method not allowed", content_type="text/plain")


def _public(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if doc is None else {k: v for k, v in doc.items() if k != "service"}


register("open5gs", Open5gsSimulator)
