"""The house has one way down (README, "Architecture"): no app imports one above it, and no app names a
URL or a template of a floor above it (a reverse(), a {% url %}, an include or an extends)."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Bottom to top. An app may use the apps on floors below it, never one on its own floor or above
# (apps that share a floor stay apart). `lib` and `orders` are plain packages, the rest Django apps.
FLOORS = [
    ["lib"],
    ["audit", "orders"],
    ["odata"],
    ["customers", "statuses"],
    ["history"],
    ["reports"],
    ["notifications"],
    ["buzeta"],
]
APPS = [app for floor in FLOORS for app in floor]
GROUND = "lib"  # what belongs to no app of ours: Django's and allauth's own URLs, the shared layout


def floor_of(app: str) -> int:
    return next(i for i, floor in enumerate(FLOORS) if app in floor)


def allowed(app: str) -> set[str]:
    below = floor_of(app)
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


# --- URL names and templates ---------------------------------------------------------------------------


@cache
def url_owners() -> dict[str, str]:
    """Each URL name, and the app whose view it names (by the view's module)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    owners: dict[str, str] = {}

    def walk(patterns, namespace: str = "") -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                owners[namespace + pattern.name] = view_app(pattern.callback)

    walk(get_resolver().url_patterns)
    return owners


def view_app(view) -> str:
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    module = getattr(view, "__module__", "") or ""
    top = module.split(".")[0]
    return top if top in APPS else GROUND


def url_app(name: str) -> str:
    """The app a URL name belongs to: a model's admin pages are its app's; Django's own are the ground's."""
    admin_model = re.match(r"^admin:([a-z]+)_[a-z]+_[a-z]+$", name)
    if admin_model and admin_model.group(1) in APPS:
        return admin_model.group(1)
    if name.startswith("admin:"):
        return GROUND
    return url_owners().get(name, GROUND)


def template_app(path: str) -> str:
    """The app a template belongs to, by its folder: `reports/…`, `admin/history/…`; the root layout is the ground's."""
    parts = path.split("/")
    if parts[0] == "admin" and len(parts) > 2 and parts[1] in APPS:
        return parts[1]
    if parts[0] in APPS:
        return parts[0]
    if parts[0] == "admin":
        # The admin's layout (ours only brands it) is the ground's; its index, which gathers the staff
        # tools of every floor, is the top's.
        return "buzeta" if parts[1:] == ["index.html"] else GROUND
    if parts[0] in ("staff", "account", "allauth"):
        return "buzeta"  # staff sign-in and the order lookups
    return GROUND


REVERSE = re.compile(r"""\b(?:reverse|reverse_lazy|redirect)\(\s*["']([\w:-]+)["']""")
URL_TAG = re.compile(r"""\{%\s*url\s+["']([\w:-]+)["']""")
TEMPLATE_TAG = re.compile(r"""\{%\s*(?:include|extends)\s+["']([^"']+)["']""")


def names_in_python(app: str) -> list[tuple[Path, str, str]]:
    found = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for name in REVERSE.findall(path.read_text()):
            found.append((path, "url", name))
    return found


def names_in_templates() -> list[tuple[Path, str, str, str]]:
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")) + sorted((ROOT / "templates").rglob("*.txt")):
        own = template_app(str(path.relative_to(ROOT / "templates")))
        text = path.read_text()
        found += [(path, own, "url", name) for name in URL_TAG.findall(text)]
        found += [(path, own, "template", name) for name in TEMPLATE_TAG.findall(text)]
    return found


def upward(own: str, named: str) -> bool:
    return named != own and floor_of(named) >= floor_of(own)


@pytest.mark.django_db
def test_no_app_names_a_url_of_a_floor_above_it():
    wrong = [
        f"{path.relative_to(ROOT)} names {name} ({url_app(name)})"
        for app in APPS
        for path, _, name in names_in_python(app)
        if upward(app, url_app(name))
    ]
    wrong += [
        f"{path.relative_to(ROOT)} ({own}) names {name} ({url_app(name)})"
        for path, own, kind, name in names_in_templates()
        if kind == "url" and upward(own, url_app(name))
    ]
    assert wrong == []


def test_no_template_includes_or_extends_one_of_a_floor_above_it():
    wrong = [
        f"{path.relative_to(ROOT)} ({own}) uses {name} ({template_app(name)})"
        for path, own, kind, name in names_in_templates()
        if kind == "template" and upward(own, template_app(name))
    ]
    assert wrong == []


@pytest.mark.django_db
def test_the_checks_see_upward_names():
    assert url_app("customer-subscribe") == "notifications" and url_app("job-status") == "reports"
    assert url_app("admin:history_ordereta_changelist") == "history" and url_app("admin:index") == GROUND
    assert upward("reports", template_app("notifications/_form.html"))
    assert not upward("reports", template_app("base.html"))
