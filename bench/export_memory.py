"""Peak memory of a data export with many usage records for one customer.

    .venv/bin/python bench/export_memory.py [--rows 1000000] [--url DATABASE_URL] [--no-tracemalloc]

Fills a fresh database (default: a temporary SQLite file; PostgreSQL: --url postgresql+psycopg://…, the
schema is dropped and recreated, never use a database you care about) with one customer owning ROWS usage
records, then builds the export in a fresh child process and reports its peak memory: the tracemalloc peak
of the Python heap during the build, and the growth of the process's maximum resident set (ru_maxrss).
The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

from simexit.bootstrap import bootstrap
from simexit.clock import FixedClock
from simexit.config import Settings
from simexit.services.context import Simexit
from simexit.services.imports.importer import import_jsonl
from simexit.services.privacy.export import build_export, request_export
from simexit.store.database import Database
from simexit.store.migrate import upgrade
from simexit.store.tables import lines, usage_records

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
MSISDN = "+8613900000001"


def _app(url: str, export_dir: Path) -> Simexit:
    return bootstrap(Settings(database_url=url, secret_key="bench-secret-key-0123456789", export_dir=export_dir),
                     clock=FixedClock(T0), db=Database(url))


def prepare(url: str, rows: int, export_dir: Path) -> int:
    if url.startswith("postgresql"):
        eng = create_engine(url)
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        eng.dispose()
    upgrade(url)
    app = _app(url, export_dir)
    recs = [
        {"type": "customer", "brand": "huaxin", "ref": "bench", "name": "测试用户", "id_type": "cn_resident_id",
         "id_number": "11010519491231002X", "email": "bench@example.org"},
        {"type": "line", "brand": "huaxin", "customer": "bench", "msisdn": MSISDN, "iccid": "8949000000000000018",
         "kind": "sim", "payment": "prepaid", "plan": "bench"},
    ]
    import_jsonl(app, (json.dumps(r, ensure_ascii=False) for r in recs))
    with app.db.write() as conn:
        line_id = conn.execute(select(lines.c.id).where(lines.c.msisdn == MSISDN)).scalar_one()
        t0, batch = T0 - timedelta(days=365), 20_000
        for start in range(0, rows, batch):
            conn.execute(insert(usage_records), [
                {"line_id": line_id, "kind": ("call", "sms", "data")[i % 3], "started_at": t0 + timedelta(seconds=i),
                 "direction": "out" if i % 2 else "in", "counterpart": f"+86138{i % 100_000_000:08d}",
                 "duration_s": i % 600 if i % 3 == 0 else None, "volume_bytes": i * 1000 if i % 3 == 2 else None}
                for i in range(start, min(rows, start + batch))])
    export_id = request_export(app, MSISDN)
    app.db.dispose()
    return export_id


def build(url: str, export_id: int, export_dir: Path, trace: bool) -> dict[str, object]:
    app = _app(url, export_dir)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    view = build_export(app, export_id)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"usage_rows": view.counts["usage_records.csv"], "zip_bytes": view.size_bytes,
            "build_seconds": round(seconds, 1), "tracemalloc_peak_bytes": peak,
            "maxrss_before_kib": rss_before, "maxrss_after_kib": rss_after,
            "maxrss_growth_kib": rss_after - rss_before}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--url")
    ap.add_argument("--no-tracemalloc", action="store_true")
    ap.add_argument("--build", nargs=3, metavar=("URL", "EXPORT_ID", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.build:
        url, export_id, out = args.build
        print(json.dumps(build(url, int(export_id), Path(out), not args.no_tracemalloc)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        export_id = prepare(url, args.rows, Path(tmp))
        print(f"inserted {args.rows} usage rows in {time.perf_counter() - started:.1f} s", flush=True)
        child = [sys.executable, __file__, "--build", url, str(export_id), tmp]
        if args.no_tracemalloc:
            child.append("--no-tracemalloc")
        out = subprocess.run(child, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        result = {"database": url.split(":")[0], **json.loads(out)}
        print(f"export of {result['usage_rows']} usage rows: {result['zip_bytes'] / 1e6:.1f} MB ZIP in "
              f"{result['build_seconds']} s; tracemalloc peak {result['tracemalloc_peak_bytes']} B; "
              f"max RSS grew {result['maxrss_growth_kib']} KiB")
        print(json.dumps(result))


if __name__ == "__main__":
    main()
