import tracemalloc
import zipfile

from simexit.services.privacy.export import build_export, request_export
from tests.audit_fixtures import add_usage, rich_customer


def _peak_of_build(app, rows: int) -> tuple[int, str]:
    c = rich_customer(app, usage=0)
    add_usage(app, c["line_id"], rows)
    export_id = request_export(app, c["msisdn"])
    tracemalloc.start()
    try:
        view = build_export(app, export_id)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    with zipfile.ZipFile(view.file_path) as zf:
        assert zf.read("usage_records.csv").count(b"\n") == rows + 1
    return peak, view.file_path


def test_export_memory_does_not_grow_with_usage_rows(app, tmp_path):
    app.export_dir = tmp_path
    _peak_of_build(app, 500)  # warm-up: statement caches, imports
    small, _ = _peak_of_build(app, 2_000)
    large, _ = _peak_of_build(app, 20_000)
    # Ten times the rows; a build that collected rows would need several times the memory.
    print(f"peak 2k rows {small} B, 20k rows {large} B")
    assert large < small * 1.3 + 256 * 1024, (small, large)
