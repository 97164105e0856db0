"""The HTTP transport of every outside client: one small httpx connection pool per thread.

Written here rather than taking httpx's shared pool as it is, because httpcore's synchronous pool (1.0.9) is
the wrong shape for a worker whose threads all call one system at once. Each request and each closed response
runs ``_assign_requests_to_connections`` under the pool's one lock, which walks every connection for every
queued request and hands a newly idle connection to every waiter, of whom all but one wake, fail and queue
again (encode/httpcore#1035, pydantic/httpx2#1075); and a connection handed to a waiter can be closed under it
by another thread's pass, the request then hanging until its read timeout (encode/httpcore#1110, seen with
hundreds of threads). Measured in ``bench/bulk_execution.py`` (32 threads, PostgreSQL, py-spy ``--gil``): the
shared pool's own bookkeeping was about a third of the samples in which the worker held the GIL; with a pool per
thread, about 3 %.

With a pool per thread a thread only ever meets its own one or two connections, so none of that arises and
nothing waits on a lock held by another thread. The connections kept open are the same as a shared pool at full
concurrency keeps: one per thread per system. ``close`` closes every thread's pool.
"""

from __future__ import annotations

import ssl
import threading
import weakref
from typing import Any

import httpx

# A thread makes one request at a time; a client used for several hosts keeps one connection to each of a few.
PER_THREAD = httpx.Limits(max_connections=8, max_keepalive_connections=4, keepalive_expiry=30)


class PerThreadTransport(httpx.BaseTransport):
    def __init__(self, *, verify: ssl.SSLContext | str | bool = True, cert: Any = None, trust_env: bool = True,
                 **transport_kwargs: Any) -> None:
        # One TLS context for every thread's pool (a context per pool would load the CA store once per thread).
        context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(
            verify=verify, cert=cert, trust_env=trust_env)
        self._kwargs = {"limits": PER_THREAD, "verify": context, "trust_env": trust_env, **transport_kwargs}
        self._local = threading.local()
        # Weak: a thread that ends takes its pool with it (its sockets close when it is collected).
        self._all: weakref.WeakSet[httpx.HTTPTransport] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._closed = False

    def _mine(self) -> httpx.HTTPTransport:
        transport = getattr(self._local, "transport", None)
        if transport is None:
            transport = httpx.HTTPTransport(**self._kwargs)
            with self._lock:
                if self._closed:
                    transport.close()
                    raise RuntimeError("the HTTP transport is closed")
                self._all.add(transport)
            self._local.transport = transport
        return transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._mine().handle_request(request)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            transports, self._all = list(self._all), weakref.WeakSet()
        for t in transports:
            t.close()
