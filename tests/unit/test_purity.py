"""The domain core imports no adapter library (STYLE.md §1), checked on the source."""

import ast
from pathlib import Path

BANNED = {
    "prefect",
    "sqlmodel",
    "sqlalchemy",
    "minio",
    "feedgen",
    "alembic",
    "psycopg",
    "jsonschema",
}
CORE = Path(__file__).resolve().parents[2] / "disclosure"


def test_core_imports_no_adapter_library():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in BANNED]
    assert list(CORE.rglob("*.py")), "the core was not found"
    assert offenders == []
