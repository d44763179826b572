"""Every capability has the same inner shape, so a newcomer who has read one finds everything
in the others; what every capability needs is written once, in shared/.

- `<cap>/logic/` is a package split by use-case area; its `__init__` re-exports what the
  entry points call (the layers themselves are import-linter's `capability-layers` contract);
- `<cap>/data/` holds `tables.py` (the table binding, its items and keys: keys live in data/
  only), `tx.py` (the capability's transactions) and access modules named after the records
  they keep (stacks: boxes, locations, environment; circulation: loans; inventory: campaigns;
  identity: directory; audit: history), never `repository` (in an archive a repository is a
  building, stacks' 서고);
- inside logic, a data module is imported as `store` (the module of the area the logic
  module works on) or `<area>_store` (any other one);
- no capability defines again what shared/ owns: the organisation guard and not-found
  (shared.auth), the event factory and system actor (shared.events), the retry loop and
  `StepContended` (shared.tasks), the calendar day (shared.clock).
"""
from __future__ import annotations

import ast
import configparser
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = sorted(p for p in ROOT.glob("functions/*/*") if (p / "domain").is_dir())
OWNED_BY_SHARED = {"require_found", "StepContended", "SYSTEM_ACTOR", "CAPABILITY", "today", "_today"}


def _logic_modules(package: pathlib.Path) -> list[pathlib.Path]:
    return sorted((package / "logic").glob("*.py"))


def test_there_are_capabilities_with_an_inner_shape():
    assert len(PACKAGES) >= 5


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_logic_is_a_package_split_by_use_case_area(package):
    assert (package / "logic" / "__init__.py").is_file() and not (package / "logic.py").exists()
    assert len(_logic_modules(package)) >= 3  # __init__ and at least two areas
    assert (package / "data").is_dir()


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_data_modules_have_one_naming(package):
    modules = {p.stem for p in (package / "data").glob("*.py")} - {"__init__"}
    assert {"tables", "tx"} <= modules
    assert "repository" not in modules and len(modules) >= 3


def test_the_layers_contract_holds_every_capability():
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    section = "importlinter:contract:capability-layers"
    assert config.get(section, "type") == "layers"
    assert set(config.get(section, "containers").split()) == {p.name for p in PACKAGES}


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_logic_imports_data_modules_as_store(package):
    wrong = []
    for path in _logic_modules(package):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module == "data":
                for alias in node.names:
                    if alias.asname != "store" and not (alias.asname or "").endswith("_store"):
                        wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} {alias.name} as {alias.asname}")
    assert wrong == []


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_no_capability_defines_what_shared_owns(package):
    defined = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            names = ([node.name] if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else
                     [t.id for t in node.targets if isinstance(t, ast.Name)] if isinstance(node, ast.Assign) else [])
            defined += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n in OWNED_BY_SHARED]
    assert defined == []
