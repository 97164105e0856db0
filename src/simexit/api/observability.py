"""Prometheus metrics and structured JSON logs with the request id; personal data is masked.

Request counters and latencies live in the process that answered. With several server processes on one host
(``simexit serve --workers N``, or several ``serve`` processes sharing ``PROMETHEUS_MULTIPROC_DIR``)
prometheus_client's multiprocess mode keeps them in that directory and ``/metrics`` sums them over the
processes, whichever process answers the scrape. The figures read from the database at each scrape
(``simexit_applications_needs_attention`` …) are the same in every process: alert on max(), not sum().
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric

from simexit.api.context import request_id_var

REQUESTS = Counter("simexit_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram("simexit_http_request_duration_seconds", "HTTP request duration", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
MESSAGE_KINDS = ("sms", "email", "webhook")


class _ScrapeFigures:
    """The figures read from the database for one scrape (families, not process-held gauges: in multiprocess
    mode a Gauge would be one file per process)."""

    def __init__(self, up: bool, attention: Mapping[str, int], dead: Mapping[str, int]) -> None:
        self.up, self.attention, self.dead = up, attention, dead

    def collect(self) -> Iterable[Metric]:
        attention = GaugeMetricFamily("simexit_applications_needs_attention",
                                      "Applications in needs_attention (a closing step failed; a supervisor must "
                                      "act)", labels=["brand"])
        for brand, n in sorted(self.attention.items()):
            attention.add_metric([brand], n)
        dead = GaugeMetricFamily("simexit_outbox_dead_messages", "Outbox messages that died (no more tries)",
                                 labels=["kind"])
        for kind in sorted({*self.dead, *MESSAGE_KINDS}):
            dead.add_metric([kind], self.dead.get(kind, 0))
        up = GaugeMetricFamily("simexit_database_up", "1 when this scrape could read the database, else 0",
                               value=1 if self.up else 0)
        return [attention, dead, up] if self.up else [up]


def exposition(up: bool, attention: Mapping[str, int], dead: Mapping[str, int]) -> bytes:
    """The text of one scrape: the request figures of every server process on this host, then the database's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        requests = generate_latest(processes)
    else:
        requests = generate_latest(REGISTRY)
    figures = CollectorRegistry(auto_describe=False)
    figures.register(_ScrapeFigures(up, attention, dead))
    return requests + generate_latest(figures)

# Phone numbers, ID numbers, ICCIDs and e-mail addresses that slip into a message are masked.
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")
_DIGITS = re.compile(r"\+?\d[\d ]{5,}\d[Xx]?")


def mask_text(text: str) -> str:
    text = _EMAIL.sub(r"\1***@\2", text)
    return _DIGITS.sub(lambda m: "*" * max(0, len(m.group()) - 2) + m.group()[-2:], text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name,
                 "msg": mask_text(record.getMessage()), "request_id": request_id_var.get()}
        for key in ("method", "route", "status", "duration_ms", "client"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["error"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on standard error for the ``simexit`` loggers (once per process)."""
    logger = logging.getLogger("simexit")
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
