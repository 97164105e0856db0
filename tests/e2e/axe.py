"""axe-core in the browser: ``assert_accessible(page, "what this state is")`` injects npm's axe-core
(installed by scripts/setup into node_modules/) and fails on any violation of impact serious or critical.
A missing axe-core fails the test; it never skips."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}


def violations(page: Any) -> list[dict[str, Any]]:
    assert AXE.exists(), f"{AXE} is missing: run bash scripts/setup (npm ci)"
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # evaluated through the DevTools protocol, so simexit's content security policy stays as it is
        # (add_script_tag would need bypass_csp, which would hide CSP defects)
        page.evaluate("(source) => { (0, eval)(source); }", AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in SERIOUS]


def assert_accessible(page: Any, state: str) -> None:
    found = violations(page)
    detail = "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in found)
    assert not found, f"axe: {len(found)} serious/critical violation(s) on {state} ({page.url}): {detail}"
