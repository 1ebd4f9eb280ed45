"""The house has one way down: no app imports one above it (README, "Architecture")."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

# Bottom to top. An app may import the apps listed before it on a lower floor, never one
# on its own floor or above (customers and statuses share a floor and stay apart).
FLOORS = [["audit"], ["odata"], ["customers", "statuses"], ["reports"], ["notifications"], ["buzeta"]]
APPS = [app for floor in FLOORS for app in floor]


def allowed(app: str) -> set[str]:
    below = next(i for i, floor in enumerate(FLOORS) if app in floor)
    return {lower for floor in FLOORS[:below] for lower in floor} | {app}


def imported_apps(path) -> set[tuple[str, int]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {(name.split(".")[0], node.lineno) for name in names if name.split(".")[0] in APPS}
    return found


@pytest.mark.parametrize("app", APPS)
def test_no_app_imports_one_above_it(app):
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for path in sorted((ROOT / app).rglob("*.py"))
        for imported, line in imported_apps(path)
        if imported not in allowed(app)
    ]
    assert wrong == []


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from reports.jobs import job_start_or_join\n")
    assert {name for name, _ in imported_apps(module)} - allowed("customers") == {"reports"}
