"""Capabilities stay apart: no capability imports another, the shared layer imports none,
and domain modules know nothing of HTTP, AWS SDKs or persistence.

Two independent checks:
- import-linter with the contracts in .importlinter (also follows indirect imports);
- a plain AST scan over functions/ and shared/ that needs no configuration, so a new
  capability folder is covered the moment it exists (and the config test below says
  when .importlinter must be told about it).
"""
from __future__ import annotations

import ast
import configparser
import os
import pathlib
import shutil
import subprocess
import sys
from typing import Iterator

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = ROOT / "functions"
SHARED_DIR = ROOT / "shared"
IMPURE_FOR_DOMAIN = {"chalice", "boto3", "botocore", "pynamodb"}


def _code_roots() -> list[pathlib.Path]:
    """functions/<cap>/: each is a Lambda CodeUri, put on sys.path as Lambda does."""
    if not FUNCTIONS_DIR.is_dir():
        return []
    return sorted(p for p in FUNCTIONS_DIR.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))


def _top_level_names(code_root: pathlib.Path) -> set[str]:
    """What `import X` can reach in a code root: its packages and top-level modules."""
    names = set()
    for entry in code_root.iterdir():
        if entry.name.startswith((".", "__")):
            continue
        if entry.is_dir() and any(entry.rglob("*.py")):
            names.add(entry.name)
        elif entry.suffix == ".py":
            names.add(entry.stem)
    return names


CODE_ROOTS = _code_roots()
OWNED_NAMES = {root.name: _top_level_names(root) for root in CODE_ROOTS}
CAPABILITY_PACKAGES = sorted(set().union(*OWNED_NAMES.values())) if OWNED_NAMES else []


def _python_files(directory: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in directory.rglob("*.py") if "__pycache__" not in p.parts)


def imported_modules(source: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in the source, wherever it sits
    (module level, inside functions, under TYPE_CHECKING) and for importlib.import_module
    / __import__ calls with a literal name. Relative imports stay inside their package
    and are not reported."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:  # `from functions import audit`
                yield node.lineno, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in {"import_module", "__import__"} and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def _violations(files: list[pathlib.Path], forbidden: set[str]) -> list[str]:
    found = []
    for path in files:
        for line, module in imported_modules(path.read_text()):
            if module.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return sorted(set(found))


# ------------------------------------------------------------------ the scanner itself


def test_scanner_finds_every_kind_of_import():
    source = (
        "import audit.logic\n"
        "from identity.domain import rules\n"
        "from functions import outbox_relay\n"
        "def later():\n"
        "    import importlib\n"
        "    importlib.import_module('stacks.app')\n"
        "    __import__('circulation')\n"
        "from . import sibling\n"
    )
    modules = {module.split(".")[0] for _, module in imported_modules(source)}
    assert {"audit", "identity", "functions", "importlib", "stacks", "circulation"} <= modules
    assert "sibling" not in modules


# ------------------------------------------------------------------------ the layout


def test_there_are_capabilities_to_check():
    assert len(CODE_ROOTS) >= 2, "functions/ should hold the capabilities"


@pytest.mark.parametrize("code_root", CODE_ROOTS, ids=lambda p: p.name)
def test_code_root_holds_a_package_of_its_name(code_root):
    """functions/<cap>/<cap>/ matches the template's CodeUri functions/<cap>/, Handler <cap>.*"""
    assert (code_root / code_root.name / "__init__.py").is_file()


# ---------------------------------------------------------------------- AST checks


@pytest.mark.parametrize("code_root", CODE_ROOTS, ids=lambda p: p.name)
def test_capability_imports_no_other_capability(code_root):
    others = set(CAPABILITY_PACKAGES) - OWNED_NAMES[code_root.name]
    assert _violations(_python_files(code_root), others | {"functions"}) == []


def test_shared_imports_no_capability():
    assert SHARED_DIR.is_dir()
    assert _violations(_python_files(SHARED_DIR), set(CAPABILITY_PACKAGES) | {"functions"}) == []


DOMAIN_DIRS = [d for root in CODE_ROOTS for d in root.glob("*/domain") if d.is_dir()]


@pytest.mark.parametrize("domain", DOMAIN_DIRS, ids=lambda p: p.parent.name)
def test_domain_modules_import_no_framework_sdk_or_orm(domain):
    assert _violations(_python_files(domain), IMPURE_FOR_DOMAIN) == []


# ----------------------------------------------------------------- import-linter


def _importlinter_config() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    assert config.read(ROOT / ".importlinter"), ".importlinter is missing"
    return config


def _listed(config: configparser.ConfigParser, section: str, key: str) -> set[str]:
    return set(config.get(section, key, fallback="").split())


def test_importlinter_contracts_name_every_capability():
    config = _importlinter_config()
    packages = set(CAPABILITY_PACKAGES)
    assert packages <= _listed(config, "importlinter", "root_packages")
    assert _listed(config, "importlinter:contract:capabilities-independent", "modules") == packages
    assert packages <= _listed(config, "importlinter:contract:shared-knows-no-capability", "forbidden_modules")
    domains = {f"{d.parent.name}.domain" for d in DOMAIN_DIRS}
    assert domains <= _listed(config, "importlinter:contract:domain-is-pure", "source_modules")


def _lint_imports_command() -> str:
    beside_python = pathlib.Path(sys.executable).with_name("lint-imports")
    command = str(beside_python) if beside_python.exists() else shutil.which("lint-imports")
    assert command, "lint-imports (import-linter) is not installed"
    return command


def test_lint_imports_keeps_every_contract():
    path = [str(ROOT)] + [str(root) for root in CODE_ROOTS]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    result = subprocess.run(
        [_lint_imports_command(), "--no-cache"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
