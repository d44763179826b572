"""The classification walk-through (docs/workflows/classification.md) runs as written against the
local system, twice in a row (the second run drafts, imports and publishes the next version), with
the runner of the other workflow docs (tests/e2e/test_workflow_docs.py)."""
from __future__ import annotations

import pathlib
import re

import pytest

from tests.e2e import test_workflow_docs as docs

pytestmark = pytest.mark.e2e


def test_the_scheme_walk_through_runs_as_written(local_system, tmp_path: pathlib.Path):
    folder, temp = tmp_path / "cwd", tmp_path / "tmp"
    folder.mkdir()
    temp.mkdir()
    versions = []
    for attempt in (1, 2):
        out = docs._run(local_system, "classification.md", folder, temp)
        # the bad sheet named each flaw by row; the bad rule each field; the published version refused a change
        assert '"rows[2].parent_code"' in out and '"rows[2].action"' in out and '"rows[2].grounds"' in out, attempt
        assert '"rule.action"' in out and '"rule.grounds"' in out, attempt
        assert '"status": "published"' in out and '"unit_task_count": 5' in out, attempt
        assert re.search(r'"type": "https://records.example/problems/scheme-version-published"', out), attempt
        assert re.search(r"^unit_task,ADM-01-001,ADM-01,", out, re.M), attempt  # the exported sheet, depth first
        versions.append(int(re.search(r"^draft: version (\d+)$", out, re.M).group(1)))
    assert versions[1] == versions[0] + 1
    assert list(folder.iterdir()) == []
