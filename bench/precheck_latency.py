"""Pre-check latency in-process (median, p99) with many lines in the database.

Baseline: a bare indexed single-row SELECT of the line by MSISDN, with the database driver on a
connection of the same engine (same SQLite PRAGMAs or the same PostgreSQL server).
Goal: p99 under 5 ms with 1,000,000 lines.

    python bench/precheck_latency.py [--size small|large] [--db postgresql+psycopg://…]
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fleet_data import load_fleet, msisdn
from bench.measure import (
    Timer,
    backend,
    database_url,
    latency_summary,
    parse_args,
    quiet_calendar_warnings,
    report,
    time_each,
)

SIZES = {"small": {"lines": 10_000, "samples": 1_000}, "large": {"lines": 1_000_000, "samples": 20_000}}


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], SIZES)
    n, samples = args.params["lines"], args.params["samples"]
    quiet_calendar_warnings()
    from simexit.bootstrap import bootstrap
    from simexit.config import Settings
    from simexit.services.closure.precheck import precheck

    with database_url(args.db) as url:
        app = bootstrap(Settings(database_url=url))
        brands = sorted(app.policies)
        with Timer() as load:
            load_fleet(app, n, brands)
        print(f"loaded {n:,} lines in {load.seconds:.1f} s", file=sys.stderr)
        rnd = random.Random(7)
        picks = [rnd.randint(1, n) for _ in range(samples)]
        numbers = [msisdn(app.policy(brands[i % len(brands)]).brand.jurisdiction, i) for i in picks]

        for m in numbers[:200]:  # warm-up: pool, statement caches, holiday calendars
            precheck(app, m)
        figures = latency_summary(time_each(lambda m: precheck(app, m), numbers))

        raw = app.db.engine.raw_connection()
        try:
            cur = raw.driver_connection.cursor()
            sql = "SELECT id FROM lines WHERE msisdn = " + ("%s" if backend(url) == "postgresql" else "?")
            for m in numbers[:200]:
                cur.execute(sql, (m,)).fetchone()
            base_s = time_each(lambda m: cur.execute(sql, (m,)).fetchone(), numbers)
            raw.driver_connection.rollback()
        finally:
            raw.close()
        baseline = latency_summary(base_s)

        def empty(_: object) -> None:
            with app.db.read():
                pass

        # Not a floor, a yardstick of the machine's noise: an empty read transaction through the same pool.
        baseline["empty_read_tx"] = latency_summary(time_each(empty, numbers))
        app.db.dispose()

    ratios = {"median_x_baseline": round(figures["median_ms"] / baseline["median_ms"], 1),
              "p99_x_baseline": round(figures["p99_ms"] / baseline["p99_ms"], 1)}
    figures["lines_in_database"] = n
    report("precheck_latency", args.size, backend(url), figures, baseline, ratios,
           {"p99_ms_below": 5.0, "met": figures["p99_ms"] < 5.0})


if __name__ == "__main__":
    main()
