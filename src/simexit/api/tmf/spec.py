"""The served OpenAPI documents: the published TMF files cut down to the operations simexit implements.

Each kept operation, and every component it reaches through ``$ref`` (schemas, responses, parameters, request
bodies, headers, examples), is the published text unchanged; only ``servers`` names where simexit serves it.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

PUBLISHED = Path(__file__).resolve().parent / "published"
ORDERING_BASE = "/tmf-api/productOrderingManagement/v5"
INVENTORY_BASE = "/tmf-api/productInventory/v5"
# path → methods implemented (the rest of the published paths are not served: the /listener/* paths are the
# BSS's side; deleting orders, and writing products, are not offered).
ORDERING_OPERATIONS = {
    "/productOrder": ("get", "post"),
    "/productOrder/{id}": ("get", "patch"),
    "/cancelProductOrder": ("get", "post"),
    "/cancelProductOrder/{id}": ("get",),
    "/hub": ("post",),
    "/hub/{id}": ("delete",),
}
INVENTORY_OPERATIONS = {"/product": ("get",), "/product/{id}": ("get",)}
FILES = {"ordering": ("TMF622-ProductOrdering-v5.0.0.oas.yaml", ORDERING_OPERATIONS, ORDERING_BASE),
         "inventory": ("TMF637-ProductInventory-v5.0.0.oas.yaml", INVENTORY_OPERATIONS, INVENTORY_BASE)}


@functools.cache
def published(api: str) -> dict[str, Any]:
    with (PUBLISHED / FILES[api][0]).open(encoding="utf-8") as f:
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            out.add(ref)
        for v in node.values():
            _refs(v, out)
    elif isinstance(node, list):
        for v in node:
            _refs(v, out)


def subset(doc: dict[str, Any], operations: dict[str, tuple[str, ...]], server: str) -> dict[str, Any]:
    """``doc`` with only ``operations`` and the components they reach."""
    paths = {p: {m: copy.deepcopy(doc["paths"][p][m]) for m in methods} for p, methods in operations.items()}
    seen: set[str] = set()
    todo: set[str] = set()
    _refs(paths, todo)
    components: dict[str, dict[str, Any]] = {}
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        node = doc["components"][kind][name]
        components.setdefault(kind, {})[name] = copy.deepcopy(node)
        _refs(node, todo)
    out = {k: copy.deepcopy(v) for k, v in doc.items() if k not in ("paths", "components", "servers")}
    out["servers"] = [{"url": server}]
    out["paths"] = paths
    out["components"] = {k: dict(sorted(v.items())) for k, v in sorted(components.items())}
    return out


@functools.cache
def served(api: str) -> dict[str, Any]:
    _, operations, base = FILES[api]
    return subset(published(api), operations, base)
