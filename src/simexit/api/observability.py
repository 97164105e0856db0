"""Prometheus metrics and structured JSON logs with the request id; personal data is masked."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge, Histogram

from simexit.api.context import request_id_var

REQUESTS = Counter("simexit_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram("simexit_http_request_duration_seconds", "HTTP request duration", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
# Read from the database at each scrape, so every process reports the same figures: alert on max(), not sum().
NEEDS_ATTENTION = Gauge("simexit_applications_needs_attention",
                        "Applications in needs_attention (a closing step failed; a supervisor must act)", ["brand"])
DEAD_MESSAGES = Gauge("simexit_outbox_dead_messages", "Outbox messages that died (no more tries)", ["kind"])
DATABASE_UP = Gauge("simexit_database_up", "1 when the last scrape could read the database, else 0")

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
