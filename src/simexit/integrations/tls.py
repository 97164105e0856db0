"""TLS with client certificates, both ways (ES2+ is mutual TLS; PROTOCOLS.md §A).

- ``client_context``: what simexit presents to an SM-DP+. httpx 0.28+ silently drops ``cert=`` when
  ``verify=`` is a path, so the certificate never reached the peer and every handshake with a server that
  requires one failed (issue 13, item 1). An ``ssl.SSLContext`` with the CA and the client chain loaded is
  passed as ``verify`` instead, which every httpx version honours.
- ``ClientCertH11Protocol`` / ``ClientCertHttpToolsProtocol``: uvicorn's HTTP protocols, which put the
  verified client certificate of the TLS connection into the ASGI scope as the TLS extension
  (``scope["extensions"]["tls"]["client_cert_chain"]``, PEM; asgiref's TLS extension spec). uvicorn verifies
  the chain against ``--ssl-ca-certs`` but never passes the certificate on, so without these the application
  cannot tell which partner called.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from pathlib import Path
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


def client_context(ca_file: Path | str | None, client_cert: Path | str | None,
                   client_key: Path | str | None = None) -> ssl.SSLContext | bool:
    """The context for calls to a peer: its CA (or the system's), and our chain (PEM with the key, or a
    separate key file). Without either file: ``True`` (httpx's default verification)."""
    if ca_file is None and client_cert is None:
        return True
    ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if client_cert is not None:
        ctx.load_cert_chain(str(client_cert), str(client_key) if client_key else None)
    return ctx


def fingerprint(der: bytes) -> str:
    """SHA-256 of the DER certificate, lower-case hex without colons (what ``openssl x509 -fingerprint
    -sha256`` prints, colons and case aside)."""
    return hashlib.sha256(der).hexdigest()


def normalize_fingerprint(value: str) -> str:
    return value.replace(":", "").replace(" ", "").strip().lower()


_SHORT = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU", "countryName": "C",
          "localityName": "L", "stateOrProvinceName": "ST", "domainComponent": "DC", "serialNumber": "serialNumber"}


def subject_name(decoded: dict[str, Any]) -> str | None:
    """The subject of ``SSLSocket.getpeercert()`` as an RFC 4514 string (``CN=smdp.example,O=Vendor``: the
    last RDN first), the form nginx's ``$ssl_client_s_dn`` and the ASGI TLS extension use."""
    rdns = decoded.get("subject") or ()
    if not rdns:
        return None
    return ",".join("+".join(f"{_SHORT.get(k, k)}={_escaped(v)}" for k, v in rdn) for rdn in reversed(rdns))


def _escaped(value: str) -> str:
    """RFC 4514 §2.4: escape , + " \\ < > ; everywhere, # and space at the start, space at the end."""
    out = "".join(f"\\{c}" if c in ',+"\\<>;' else c for c in value)
    if out[:1] in ("#", " "):
        out = "\\" + out
    if out.endswith(" ") and not out.endswith("\\ "):
        out = out[:-1] + "\\ "
    return out


def dn_key(value: str) -> str:
    """A subject as compared: escapes removed, so a proxy that does not escape still matches."""
    return value.replace("\\", "").strip()


def peer_certificate(scope: dict[str, Any]) -> tuple[bytes, str | None] | None:
    """The verified client certificate of this request's TLS connection (DER, subject), if any."""
    tls = (scope.get("extensions") or {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    if not chain:
        return None
    return ssl.PEM_cert_to_DER_cert(chain[0]), tls.get("client_cert_name")


def _with_peer_cert(protocol: Any, transport: asyncio.Transport) -> None:
    ssl_object = transport.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    if not der:
        return
    pem, name = ssl.DER_cert_to_PEM_cert(der), subject_name(ssl_object.getpeercert() or {})
    inner = protocol.app

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        extensions = dict(scope.get("extensions") or {})
        extensions["tls"] = {"client_cert_chain": [pem], "client_cert_name": name, "client_cert_error": None}
        await inner({**scope, "extensions": extensions}, receive, send)

    protocol.app = app  # per connection: the protocol object lives as long as the TCP connection


class ClientCertH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        _with_peer_cert(self, transport)


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class ClientCertHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            _with_peer_cert(self, transport)

    CLIENT_CERT_PROTOCOL: type[asyncio.Protocol] = ClientCertHttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is part of uvicorn[standard]
    CLIENT_CERT_PROTOCOL = ClientCertH11Protocol
