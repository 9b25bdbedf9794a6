"""Imports run one way: disclosure ← schemas / storage / feeds ← services ← flows / api / web / the CLI.

Doors (flows, api, web, the CLI and the demo) reach the rules only through services/: they never
import the storage or feed layers. Checked over every module's imports (including ones inside
functions), not remembered.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOWER = {"disclosure", "schemas", "storage", "feeds"}
DOORS = {"flows", "api", "web"}
DOOR_FILES = {str(path.relative_to(ROOT)) for path in (ROOT / "govpub").glob("cli*.py")} | {"govpub/demo.py"}
FORBIDDEN = {
    # package → top-level packages it may not import
    "schemas": {"services", "flows", "api", "web", "govpub"},
    "storage": {"services", "flows", "api", "web", "govpub"},
    "feeds": {"services", "flows", "api", "web", "govpub"},
    "services": {"flows", "api", "web", "govpub"},
    "flows": {"storage", "feeds", "api", "web", "govpub"},
    # the API's app hosts the pages (api.app installs web: one server, one port); never the reverse
    "api": {"storage", "feeds", "flows", "govpub"},
    "web": {"storage", "feeds", "flows", "api", "govpub"},
}
DOOR_FORBIDDEN = {"storage", "feeds"}


def imported(path: Path) -> set[str]:
    """Top-level packages a module imports (absolute imports, anywhere in it)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def modules():
    for package in sorted(FORBIDDEN):
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).exists() else []:
            if "migrations" not in path.parts:
                yield package, path


@pytest.mark.parametrize(("package", "path"), list(modules()), ids=lambda v: str(v).removeprefix(str(ROOT) + "/"))
def test_imports_run_one_way(package, path):
    wrong = imported(path) & FORBIDDEN[package]
    assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)} against the layer order"


@pytest.mark.parametrize("name", sorted(DOOR_FILES))
def test_the_cli_reaches_rules_only_through_services(name):
    wrong = imported(ROOT / name) & DOOR_FORBIDDEN
    assert not wrong, f"{name} imports {sorted(wrong)}: call services/ instead"


def test_the_check_sees_a_violation(tmp_path):
    bad = tmp_path / "door.py"
    bad.write_text("def f():\n    from storage.models import Document\n    return Document\n")
    assert "storage" in imported(bad)
