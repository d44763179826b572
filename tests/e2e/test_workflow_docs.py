"""The workflow docs' curl walk-throughs run as written against the local system.

Each ```bash block of docs/workflows/stacks.md, check-out.md and stock-take.md is run in order in one
bash session (set -euo pipefail), with the doc's `localhost:3000` pointed at the system the
test run started and `.local/` at its data folder. A doc that drifts from the API fails here.
"""
from __future__ import annotations

import pathlib
import os
import re
import subprocess
import sys

import pytest

from tests.e2e.conftest import REPO_ROOT

pytestmark = pytest.mark.e2e

DOCS = ("stacks.md", "check-out.md", "stock-take.md")


def _script(system) -> str:
    host = system.base_url.removeprefix("http://")
    parts = ["set -euo pipefail"]
    for doc in DOCS:
        text = (REPO_ROOT / "docs" / "workflows" / doc).read_text(encoding="utf-8")
        for index, block in enumerate(re.findall(r"```bash\n(.*?)```", text, re.S)):
            parts.append(f"echo '=== {doc} block {index}'")
            block = block.replace("localhost:3000", host).replace(".local/", f"{system.data_dir}/")
            # `make job NAME=x` is the Makefile's wrapper of this command, on the default data folder
            block = block.replace("make job NAME=", f'"{sys.executable}" -m infrastructure.local.jobs '
                                                    f'--data-dir "{system.data_dir}" ')
            parts.append(block)
    return "\n".join(parts)


def test_the_stack_managers_day_runs_as_written(local_system, tmp_path: pathlib.Path):
    run = subprocess.run(["bash", "-c", _script(local_system)], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    out = run.stdout
    assert run.returncode == 0, out[-3000:] + run.stderr[-3000:]
    blocks = re.findall(r"^=== (\S+) block (\d+)$", out, re.M)
    assert len(blocks) == sum(len(re.findall(r"```bash\n", (REPO_ROOT / "docs/workflows" / d).read_text()))
                              for d in DOCS)
    # stacks: twelve boxes shelved in one call, the thirteenth refused, a sensor's excursion seen
    assert '"placed": 12' in out and '"status": 409' in out
    assert '"event":"EnvironmentOutOfRange"' in out and '"event":"EnvironmentBackInRange"' in out
    assert '"valid": true' in out  # the box's audit chain verifies
    # circulation: the saga took the box out and brought it home; the queue moved on
    assert re.search(r"^checked_out$", out, re.M) and re.search(r"^returned$", out, re.M)
    assert '"rule": "long_retention_purpose"' in out
    assert '"status": "queued"' in out and '"kind": "reading_room"' in out
    assert re.search(r"^at,action,request_id,", out, re.M)  # the register's CSV
    # inventory: the count found the moved box misplaced; closing waited for the finding's decision
    assert re.search(r"^total,\d+,1,", out, re.M) and '"status": "closed"' in out
