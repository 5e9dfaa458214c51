"""The apps depend one way, lowest first (the README's "Architecture" section says why).

Every import in every module of the portal's apps is read, at module level and inside functions,
and an app may import only itself and the apps below it. Tests, migrations, the demo loaders and
the benchmark may import anything: they set up or measure the whole portal.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

# Lowest first. Apps on one line are side by side: neither may import the other.
LAYERS = [
    ["npq_portal"],
    ["programmes"],
    ["schools"],
    ["funding"],
    ["cohorts"],
    ["mailing_list", "applications"],
    ["participants"],
    ["assessment"],
    ["reminders"],
    ["reports"],
    ["privacy"],
    ["dfe"],
]
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}
ROOT = Path(settings.BASE_DIR)

# What may import anything: the set-up and measurement of the whole portal.
EXEMPT_FOLDERS = {"tests", "migrations"}
EXEMPT_FILES = {"demo.py", "load_demo_data.py", "bench.py", "bench_data.py", "bench_pages.py"}


def _modules(app: str) -> list[Path]:
    return [
        path
        for path in sorted((ROOT / app).rglob("*.py"))
        if not EXEMPT_FOLDERS & set(path.relative_to(ROOT).parts) and path.name not in EXEMPT_FILES
    ]


def _imported_apps(path: Path) -> list[tuple[int, str]]:
    """(line, app) for every import of one of the portal's apps in the module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue  # relative imports stay inside their own app
        found += [(node.lineno, name.split(".")[0]) for name in names if name.split(".")[0] in RANK]
    return found


def test_every_portal_app_has_its_place_in_the_layers():
    portal_apps = {path.parent.name for path in ROOT.glob("*/apps.py")}

    assert portal_apps == set(RANK)
    assert [app for app in settings.INSTALLED_APPS if app in RANK] == [
        app for apps in LAYERS for app in apps
    ], "INSTALLED_APPS lists the portal's apps in the order of the layers"


@pytest.mark.parametrize("app", list(RANK))
def test_an_app_imports_only_itself_and_the_apps_below_it(app):
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for path in _modules(app)
        for line, imported in _imported_apps(path)
        if imported != app and RANK[imported] >= RANK[app]
    ]

    assert not wrong, f"{app} reaches up or sideways:\n" + "\n".join(wrong)


def test_the_check_reads_imports_inside_functions_too(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("import os\n\n\ndef f():\n    from privacy.services import x\n")

    assert _imported_apps(module) == [(5, "privacy")]
