"""Each benchmark's small size runs and ends with one JSON line of figures, baseline and ratios (not timed)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize(("script", "figure"), [("precheck_latency.py", "p99_ms"), ("bulk_intake.py", "lines_per_s")])
def test_small_size_prints_a_json_last_line(script, figure):
    p = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--size", "small"], capture_output=True,
                       text=True, timeout=300, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    last = json.loads(p.stdout.strip().splitlines()[-1])
    assert last["size"] == "small" and last["db"] == "sqlite"
    assert last["figures"][figure] > 0 and last["baseline"] and last["ratios"]
    assert all(isinstance(v, int | float) for v in last["ratios"].values())


def test_http_apply_small_size_prints_a_json_last_line():
    if not shutil.which("wrk"):
        pytest.fail("wrk is missing: apt-get install -y wrk", pytrace=False)
    env = {k: v for k, v in os.environ.items() if k != "SIMEXIT_DEMO"}  # as an operator runs it: no demo mode
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "http_apply.py"), "--size", "small"],
                       capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert p.returncode == 0, p.stderr
    last = json.loads(p.stdout.strip().splitlines()[-1])
    assert last["benchmark"] == "http_apply" and last["db"] == "sqlite"
    assert last["figures"]["req_per_s"] > 0 and last["baseline"]["req_per_s"] > 0
    assert last["figures"]["not_201"] == 0 and last["baseline"]["not_201"] == 0
    assert set(last["ratios"]) == {"throughput", "p99", "throughput_vs_insert_floor", "p99_vs_insert_floor"}
    assert last["figures"]["statements_per_apply"] > 3  # the floor replays a real apply's statements


@pytest.mark.parametrize(("script", "figure"), [("bulk_execution.py", "closures_per_s"),
                                                ("worker_throughput.py", "two_workers_per_s")])
def test_execution_benchmarks_small_size_print_a_json_last_line(script, figure):
    p = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--size", "small"], capture_output=True,
                       text=True, timeout=300, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    last = json.loads(p.stdout.strip().splitlines()[-1])
    assert last["size"] == "small" and last["db"] == "sqlite"
    figures = last["figures"]["workers_1"] if script == "bulk_execution.py" else last["figures"]
    assert figures[figure] > 0 and last["baseline"] and last["ratios"]
    assert all(isinstance(v, int | float) for v in last["ratios"].values())
    if script == "bulk_execution.py":  # every approved application of the batch was closed, in time
        assert figures["completed"] > 0 and figures["not_completed"] == 0 and not figures["timed_out"]


def test_percentiles():
    sys.path.insert(0, str(ROOT))
    from bench.measure import latency_summary, percentile

    values = list(range(1, 101))
    assert percentile(values, 50) == 50 and percentile(values, 99) == 99 and percentile(values, 100) == 100
    assert latency_summary([0.001, 0.002, 0.003])["median_ms"] == 2.0
