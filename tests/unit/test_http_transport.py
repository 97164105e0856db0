"""The outside clients' transport: a connection pool per thread (integrations/http_transport.py), against a real
HTTP server on 127.0.0.1 that answers with the client's port, so the connections used can be seen."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from simexit.integrations.http_transport import PerThreadTransport
from simexit.integrations.network.pyhss import PyHssProvisioner


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def do_GET(self) -> None:
        body = str(self.client_address[1]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _port(client: httpx.Client, url: str) -> int:
    return int(client.get(url).text)


def test_a_thread_keeps_its_own_connection_and_threads_do_not_share_one(server):
    client = httpx.Client(transport=PerThreadTransport())
    barrier = threading.Barrier(4)

    def thread_ports(_: int) -> list[int]:
        barrier.wait()  # the four threads at once
        return [_port(client, server) for _ in range(5)]

    with ThreadPoolExecutor(4) as pool:
        per_thread = list(pool.map(thread_ports, range(4)))
    client.close()
    for ports in per_thread:
        assert len(set(ports)) == 1, "a thread's requests go over its one kept-alive connection"
    assert len({ports[0] for ports in per_thread}) == 4, "no two threads share a connection"


def test_close_closes_every_threads_pool_and_a_thread_asking_later_gets_none(server):
    transport = PerThreadTransport()
    client = httpx.Client(transport=transport)
    with ThreadPoolExecutor(3) as pool:  # closed while its threads are alive and hold their pools
        assert len(set(pool.map(lambda _: _port(client, server), range(30)))) >= 1
        pools = list(transport._all)
        assert 1 <= len(pools) <= 3
        transport.close()
        assert list(transport._all) == []
    for p in pools:  # each thread's pool let go of its connections
        assert p._pool.connections == []
    errors: list[BaseException] = []

    def fresh() -> None:
        try:
            transport.handle_request(httpx.Request("GET", server))
        except RuntimeError as exc:
            errors.append(exc)

    t = threading.Thread(target=fresh)
    t.start()
    t.join()
    assert errors and "closed" in str(errors[0])


def test_the_production_clients_use_it(server):
    hss = PyHssProvisioner(server, "key")
    assert isinstance(hss.client._transport, PerThreadTransport)
