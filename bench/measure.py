"""Shared by every benchmark: timing, percentiles, peak memory, the database to run on, the JSON last line.

Each benchmark measures a baseline in the same run on the same machine and reports ratios, because
these machines are noisy; its last line of output is one JSON object that scripts can read.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # so that ``bench.*`` imports work when run as ``python bench/x.py``


def parse_args(description: str, sizes: dict[str, dict[str, int]], extra: Callable[[argparse.ArgumentParser], None]
               | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--size", choices=sorted(sizes), default="small")
    p.add_argument("--db", help="SQLAlchemy URL of a PostgreSQL database to use (it is EMPTIED); "
                                "default: a new SQLite file in a temporary directory")
    if extra:
        extra(p)
    args = p.parse_args()
    args.params = sizes[args.size]
    return args


@contextmanager
def database_url(url: str | None) -> Iterator[str]:
    """A fresh, migrated database: the PostgreSQL URL given (schema dropped and recreated) or a temp SQLite file."""
    from sqlalchemy import create_engine, text

    from simexit.store.migrate import upgrade

    if url:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgrade(url)
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="simexit-bench-") as d:
        u = f"sqlite:///{d}/bench.db"
        upgrade(u)
        yield u


def quiet_calendar_warnings() -> None:
    from simexit.domain.business_days import CalendarNotPublished

    warnings.simplefilter("ignore", CalendarNotPublished)


class Timer:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> Timer:
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._t0


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0–100), nearest-rank on the sorted values."""
    if not values:
        raise ValueError("no values")
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))
    return s[k]


def latency_summary(seconds: list[float]) -> dict[str, float]:
    """Median, p90, p99 and max in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {"median_ms": round(statistics.median(ms), 4), "p90_ms": round(percentile(ms, 90), 4),
            "p99_ms": round(percentile(ms, 99), 4), "max_ms": round(max(ms), 4), "samples": len(ms)}


def time_each(fn: Callable[[Any], object], items: list[Any]) -> list[float]:
    out = []
    clock = time.perf_counter
    for x in items:
        t0 = clock()
        fn(x)
        out.append(clock() - t0)
    return out


def peak_rss_mb() -> float:
    """Peak resident memory of this process image in MB (VmHWM; ru_maxrss where /proc is missing).

    VmHWM belongs to the current program image, so a child started with subprocess reports its own peak and
    not the parent's (ru_maxrss survives exec on Linux).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


@contextmanager
def traced_peak() -> Iterator[dict[str, float]]:
    """Peak of Python allocations (tracemalloc) inside the block, in MB; slows the code it traces."""
    out: dict[str, float] = {}
    tracemalloc.start()
    try:
        yield out
    finally:
        out["peak_mb"] = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
        tracemalloc.stop()


def machine() -> dict[str, Any]:
    import sqlite3

    import sqlalchemy

    return {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "sqlalchemy": sqlalchemy.__version__,
            "cpus": os.cpu_count(), "platform": platform.platform(terse=True)}


def backend(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def report(name: str, size: str, db: str, figures: dict[str, Any], baseline: dict[str, Any],
           ratios: dict[str, float], goals: dict[str, Any]) -> None:
    """Print the figures for people, then the JSON line for scripts (always the last line)."""
    print(f"\n{name} ({size}, {db})")
    for title, d in (("figures", figures), ("baseline", baseline), ("ratios", ratios), ("goals", goals)):
        print(f"  {title}:")
        for k, v in d.items():
            print(f"    {k:<28} {v}")
    print(json.dumps({"benchmark": name, "size": size, "db": db, "figures": figures, "baseline": baseline,
                      "ratios": ratios, "goals": goals, "machine": machine()}, sort_keys=False), flush=True)


def load_average() -> list[float]:
    """The 1, 5 and 15-minute load averages when the figure was taken (other jobs share these machines)."""
    return [round(x, 2) for x in os.getloadavg()]
