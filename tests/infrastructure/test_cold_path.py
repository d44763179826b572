"""No function loads the AWS X-Ray SDK on its cold path.

The X-Ray SDK for Python is in maintenance mode (end of support 2027-02-25) and was the
heaviest import of every function. Tracing now comes from Lambda active tracing and the
opt-in OpenTelemetry layer (template.yaml), both outside the process's imports.

The cold path is the one the bench times (bench/coldstart.py): a fresh interpreter with
only the function's environment from template.yaml imports the handler module and
answers a realistic first event (then a warm one) against a moto server holding the
template's tables. Every function of the template is checked, so a new one is covered
as soon as it is declared.
"""
from __future__ import annotations

import pathlib

import pytest

from bench import coldstart, template as tpl

FORBIDDEN = ("aws_xray_sdk",)
FUNCTIONS = {fn.logical_id: fn for fn in tpl.functions()}


@pytest.fixture(scope="module")
def endpoint():
    with coldstart.moto_server() as url:
        yield url


def _loaded_packages(fn: tpl.Function, endpoint: str, workdir: pathlib.Path) -> set[str]:
    result = coldstart.cold_start(fn, endpoint, workdir)
    assert "failed" not in result, f"{fn.logical_id}: {result.get('failed')}"
    return set(result["packages"])


@pytest.mark.parametrize("lid", sorted(FUNCTIONS))
def test_no_xray_sdk_on_the_cold_path(lid, endpoint, tmp_path):
    loaded = _loaded_packages(FUNCTIONS[lid], endpoint, tmp_path)
    assert "aws_lambda_powertools" in loaded, "the probe did not reach the handler's decorators"
    found = sorted(loaded & set(FORBIDDEN))
    assert not found, f"{lid} imports {found} on its cold path"


def test_the_probe_sees_an_import_on_the_cold_path(endpoint, tmp_path):
    """A handler that loads the SDK while answering is reported (the check above can fail)."""
    code = tmp_path / "code"
    (code / "probe").mkdir(parents=True)
    (code / "probe" / "__init__.py").write_text("")
    (code / "probe" / "app.py").write_text(
        "import sys, types\n"
        "import aws_lambda_powertools\n\n"
        "def handler(event, context):\n"
        "    # stands in for `import aws_xray_sdk` without needing the package installed\n"
        "    sys.modules.setdefault('aws_xray_sdk', types.ModuleType('aws_xray_sdk'))\n"
        "    return {}\n")
    probe = tpl.Function(logical_id="ProbeFunction", handler="probe.app.handler", code_uri=code, environment={})
    assert "aws_xray_sdk" in _loaded_packages(probe, endpoint, tmp_path)
