"""Issue 17, item 5: the built-in adapters register under the entry-point group exactly as pyproject.toml says,
and a name is resolved through the group (an unknown one is a configuration error naming what is installed)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from simexit.config import Settings
from simexit.integrations.wiring import BUILTINS, GROUP, plugin, registered

ROOT = Path(__file__).resolve().parents[2]


def test_the_builtin_table_is_what_pyproject_registers():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"][GROUP] == BUILTINS


def test_the_installed_metadata_lists_the_builtins():
    # an editable install made before the group existed needs `bash scripts/setup` again
    assert set(BUILTINS) <= set(registered())


def test_builtins_are_chosen_by_name():
    s = Settings()
    assert type(plugin("network", "open5gs", s)).__name__ == "Open5gsProvisioner"
    assert type(plugin("esim", "es2plus", s)).__name__ == "Es2PlusClient"
    assert plugin("facts", "sql", s).__name__ == "SqlFactsSource"
    assert type(plugin("orders", "bss", s)).__name__ == "BssClient"


def test_an_unknown_name_is_refused_with_what_is_installed():
    with pytest.raises(ValueError, match=r"installed: .*pyhss"):
        plugin("network", "nokia", Settings())
    with pytest.raises(ValueError, match="unknown kind"):
        plugin("billing", "sql", Settings())
