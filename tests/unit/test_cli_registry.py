"""The CLI's registry (simexit.cli.main.COMMANDS): every command module is reachable through it, is imported
only when its command runs, and imports nothing of the CLI but simexit.cli.common."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import click

from simexit.cli.main import COMMANDS, load_command, main

CLI = Path(__file__).resolve().parents[2] / "src" / "simexit" / "cli"
COMMAND_MODULES = sorted(p.stem for p in CLI.glob("*.py") if p.stem not in ("__init__", "main", "common"))


def _cli_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("simexit.cli"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("simexit.cli"))
    return found


def test_command_modules_import_only_cli_common():
    for name in COMMAND_MODULES:
        assert _cli_imports(CLI / f"{name}.py") <= {"simexit.cli.common"}, name


def test_every_command_defined_is_registered():
    reachable: set[int] = set()

    def walk(cmd: click.Command) -> None:
        reachable.add(id(cmd))
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)

    for name, parts in COMMANDS.items():
        walk(load_command(name))
        for module, attr in parts:
            walk(getattr(importlib.import_module(module), attr))
    for module in COMMAND_MODULES:
        mod = importlib.import_module(f"simexit.cli.{module}")
        for attr, value in vars(mod).items():
            if isinstance(value, click.Command):
                assert id(value) in reachable, f"simexit.cli.{module}.{attr} is in no registry entry"


def test_help_lists_every_command():
    ctx = click.Context(main, info_name="simexit")
    assert main.list_commands(ctx) == sorted(COMMANDS)
    text = main.get_help(ctx)
    assert all(name in text for name in COMMANDS)


def test_a_command_loads_only_its_own_module():
    code = ("import sys; from simexit.cli.main import main, load_command; load_command('precheck'); "
            "print(sorted(m for m in sys.modules if m.startswith('simexit.cli.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(["simexit.cli.closure", "simexit.cli.common", "simexit.cli.main"])
