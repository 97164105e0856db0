"""Worker throughput: due timers handled per second by one worker process, then by two (separate processes).

The timers are of the cheapest kind: ``quarantine_end`` timers whose relying parties have not been told yet,
so that each one is claimed, checked (one indexed SELECT) and moved a day later, each in its own transaction,
as the worker handles every timer. Goal (on PostgreSQL, issue 16): two workers at least 1.8x one. On SQLite the two
share the database's single write lock, and the figure is given for comparison only.

    python bench/worker_throughput.py [--size small|medium|large] [--db postgresql+psycopg://…]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import backend, database_url, load_average, parse_args, report

SIZES = {"small": {"timers": 1_000}, "medium": {"timers": 10_000}, "large": {"timers": 100_000}}
COLUMNS = "kind, subject, due_at, state, attempts, data, created_at"


def load_timers(url: str, n: int) -> None:
    """``n`` due quarantine_end timers, replacing any there are (driver executemany; COPY on PostgreSQL)."""
    from sqlalchemy import create_engine

    t = datetime.now(UTC) - timedelta(hours=1)
    rows = ((("quarantine_end", str(i), t, "pending", 0, json.dumps({"msisdn": f"+4915100{i:06d}"}), t))
            for i in range(1, n + 1))
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()
        if backend(url) == "postgresql":
            cur.execute("DELETE FROM timers")
            with cur.copy(f"COPY timers ({COLUMNS}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
            raw.driver_connection.commit()
            cur.execute("ANALYZE timers")
            raw.driver_connection.commit()
        else:
            cur.execute("BEGIN")
            cur.execute("DELETE FROM timers")
            fmt = "%Y-%m-%d %H:%M:%S.%f"
            while batch := list(islice(rows, 20_000)):
                cur.executemany(f"INSERT INTO timers ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                [(k, s, d.strftime(fmt), st, a, j, c.strftime(fmt)) for k, s, d, st, a, j, c in batch])
            cur.execute("COMMIT")
            cur.execute("ANALYZE")
    finally:
        raw.close()
        engine.dispose()


def child(url: str) -> None:
    """One worker process: waits for "go" on stdin, handles timers until none is due, prints what it did."""
    from simexit.bootstrap import bootstrap
    from simexit.config import Settings
    from simexit.worker.runner import Worker, WorkerOptions

    app = bootstrap(Settings(database_url=url))
    worker = Worker(app, None, WorkerOptions.from_settings(Settings(database_url=url)))  # type: ignore[arg-type]
    print("ready", flush=True)
    sys.stdin.readline()
    t0 = time.perf_counter()
    done = 0
    while n := worker.run_timers():
        done += n
    print(json.dumps({"handled": done, "seconds": time.perf_counter() - t0}), flush=True)


def run_workers(url: str, count: int) -> dict[str, float]:
    procs = [subprocess.Popen([sys.executable, __file__, "--child", url], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for _ in range(count)]
    for p in procs:
        if p.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
            raise SystemExit("a worker did not start")
    t0 = time.perf_counter()
    for p in procs:
        p.stdin.write("go\n")  # type: ignore[union-attr]
        p.stdin.flush()  # type: ignore[union-attr]
    outs = []
    for p in procs:
        out, _ = p.communicate(timeout=3600)
        outs.append(json.loads(out.strip().splitlines()[-1]))
    seconds = time.perf_counter() - t0
    handled = sum(o["handled"] for o in outs)
    return {"handled": handled, "seconds": round(seconds, 2), "per_s": round(handled / seconds, 1),
            "per_worker": [o["handled"] for o in outs]}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    args = parse_args(__doc__.split("\n")[0], SIZES)
    n = args.params["timers"]
    with database_url(args.db) as url:
        load_timers(url, n)
        one = run_workers(url, 1)
        load_timers(url, n)
        two = run_workers(url, 2)
    if one["handled"] != n or two["handled"] != n:
        raise SystemExit(f"expected {n} timers handled, got {one['handled']} and {two['handled']}")
    figures = {"timers": n, "two_workers_per_s": two["per_s"], "two_workers_seconds": two["seconds"],
               "per_worker": two["per_worker"], "load_average": load_average()}
    baseline = {"one_worker_per_s": one["per_s"], "one_worker_seconds": one["seconds"]}
    ratios = {"two_over_one": round(two["per_s"] / one["per_s"], 3)}
    goals = {"two_over_one": ">= 1.8 (PostgreSQL)", "met": ratios["two_over_one"] >= 1.8}
    report("worker_throughput", args.size, backend(url), figures, baseline, ratios, goals)


if __name__ == "__main__":
    main()
