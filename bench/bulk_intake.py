"""Bulk intake: lines per second from a file to applications (pre-checked and applied), and the run's peak memory.

Baseline (the storage floor): a raw ``executemany`` insert of as many rows of the same width as an
application (27 columns, the same JSON sizes) with the database driver, in one transaction, into a
table with only a primary key; the best of three runs. Goals: at least 0.03x the floor; peak memory under 300 MB.

The bulk run happens in a child process, so that its peak memory (VmHWM) is its own and not the
loader's.

    python bench/bulk_intake.py [--size small|large] [--db postgresql+psycopg://…]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fleet_data import iccid, load_fleet, msisdn
from bench.measure import Timer, backend, database_url, parse_args, peak_rss_mb, quiet_calendar_warnings, report

SIZES = {"small": {"lines": 5_000}, "large": {"lines": 100_000}}
ONLINE_BRANDS = ["baohao", "globetalk", "hansanet", "liuliang", "roamly"]  # the brands that take online applications


def write_file(app, n: int, path: Path) -> None:  # type: ignore[no-untyped-def]
    """One row per line; every tenth names its line by ICCID."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write("msisdn,iccid,reason\n")
        for i in range(1, n + 1):
            if i % 10 == 0:
                fh.write(f",{iccid(i)},no_longer_needed\n")
            else:
                b = app.policy(ONLINE_BRANDS[i % len(ONLINE_BRANDS)]).brand
                fh.write(f"{msisdn(b.jurisdiction, i)},,no_longer_needed\n")


def child(url: str, path: Path) -> None:
    quiet_calendar_warnings()
    from simexit.bootstrap import bootstrap
    from simexit.config import Settings
    from simexit.services.bulk.closure import BulkOptions, close_file

    app = bootstrap(Settings(database_url=url))
    opts = BulkOptions(channel="online", identity_method="otp")
    with Timer() as t:
        res = close_file(app, path, opts, out=path.with_suffix(".result.csv"))
    print(json.dumps({"seconds": t.seconds, "rows": res["done"], "counts": res["counts"],
                      "peak_rss_mb": round(peak_rss_mb(), 1)}))


def floor(url: str, n: int, tmp: Path) -> float:
    """Rows per second of a raw driver executemany of ``n`` application-wide rows in one transaction."""
    quote = json.dumps({"currency": "CNY", "balance_minor": 1234, "outstanding_minor": 0, "refund_minor": 1234,
                        "effective_date": "2026-11-23", "review_due_at": "2026-11-24T15:59:59+00:00",
                        "refund_by": "2026-11-30", "erasure_date": "2029-11-23", "kept_records": [
                            {"record_set": "real_name", "until": "2028-11-22", "law": "PRC Cybersecurity Law"}]})
    findings = json.dumps([{"code": "BALANCE_REFUNDABLE", "severity": "info", "message": {
        "en": "Remaining balance CNY 12.34. CNY 12.34 will be refunded by 2026-11-30.",
        "zh-CN": "剩余余额CNY 12.34。将于2026-11-30前退还CNY 12.34。"}, "fix": None, "data": {}}], ensure_ascii=False)
    cons = json.dumps({"confirmed": ["DATA_ERASURE", "NO_REACTIVATION", "REFUND"], "shown": {
        "NO_REACTIVATION": {"en": "This number can never be reactivated.", "zh-CN": "号码注销后不可恢复。"}}},
        ensure_ascii=False)
    ts = "2026-11-23 02:00:00.000000"
    rows = [(f"SX-{i:09d}", 1, i, i, "approved", "online", None, "otp", '{"method": "otp"}', "no_longer_needed",
             None, cons, "original_payment", None, None, "2026-11-23", quote, findings, False, ts, ts, ts,
             "simexit", None, "B-0123456789abcdef0123", ts, 0) for i in range(1, n + 1)]
    cols = 27
    ddl = ("CREATE TABLE floor_rows (id {pk}, " + ", ".join(f"c{k} TEXT" for k in range(cols)) + ")")
    if backend(url) == "postgresql":
        import psycopg

        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn:
            conn.execute("DROP TABLE IF EXISTS floor_rows")
            conn.execute(ddl.format(pk="BIGSERIAL PRIMARY KEY"))
            conn.commit()
            sql = f"INSERT INTO floor_rows ({', '.join(f'c{k}' for k in range(cols))}) VALUES " \
                  f"({', '.join(['%s'] * cols)})"
            data = [tuple(None if v is None else str(v) for v in r) for r in rows]
            with Timer() as t, conn.cursor() as cur:
                cur.executemany(sql, data)
                conn.commit()
            conn.execute("DROP TABLE floor_rows")
            conn.commit()
        return n / t.seconds
    import sqlite3

    for old in tmp.glob("floor.db*"):
        old.unlink()
    conn = sqlite3.connect(tmp / "floor.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(ddl.format(pk="INTEGER PRIMARY KEY"))
    sql = f"INSERT INTO floor_rows ({', '.join(f'c{k}' for k in range(cols))}) VALUES ({', '.join('?' * cols)})"
    with Timer() as t:
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
    conn.close()
    return n / t.seconds


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]))
        return
    args = parse_args(__doc__.splitlines()[0], SIZES)
    n = args.params["lines"]
    quiet_calendar_warnings()
    from simexit.bootstrap import bootstrap
    from simexit.config import Settings

    with database_url(args.db) as url, tempfile.TemporaryDirectory(prefix="simexit-bulk-") as d:
        tmp = Path(d)
        app = bootstrap(Settings(database_url=url))
        with Timer() as load:
            load_fleet(app, n, ONLINE_BRANDS)
        app.db.dispose()
        path = tmp / "fleet.csv"
        write_file(app, n, path)
        print(f"loaded {n:,} lines in {load.seconds:.1f} s; file {path.stat().st_size / 1e6:.1f} MB",
              file=sys.stderr)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parent.parent),
                                                                         os.environ.get("PYTHONPATH")]))}
        p = subprocess.run([sys.executable, __file__, "--child", url, str(path)], capture_output=True, text=True,
                           env=env, timeout=3600)
        if p.returncode != 0:
            sys.exit(f"bulk run failed:\n{p.stderr}")
        run = json.loads(p.stdout.strip().splitlines()[-1])
        # The floor is what the machine can do: the best of three runs (these machines are noisy).
        floor_rate = max(floor(url, n, tmp) for _ in range(3))

    rate = run["rows"] / run["seconds"]
    figures = {"lines": run["rows"], "seconds": round(run["seconds"], 2), "lines_per_s": round(rate),
               "outcomes": run["counts"], "peak_rss_mb": run["peak_rss_mb"]}
    baseline = {"executemany_rows_per_s": round(floor_rate), "rows": n, "runs": "best of 3"}
    ratios = {"lines_per_s_x_floor": round(rate / floor_rate, 4)}
    goals = {"ratio_at_least": 0.03, "peak_rss_mb_below": 300,
             "met": ratios["lines_per_s_x_floor"] >= 0.03 and run["peak_rss_mb"] < 300}
    report("bulk_intake", args.size, backend(url), figures, baseline, ratios, goals)


if __name__ == "__main__":
    main()
