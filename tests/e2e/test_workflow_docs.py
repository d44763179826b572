"""The workflow docs' curl walk-throughs run as written against the local system, twice.

Each ```bash block of docs/workflows/stacks.md, check-out.md, stock-take.md, records.md and partners.md
(disposal.md and transfer.md: test_lifecycle_docs.py) is run in order in one bash session per doc (set -euo pipefail), with the
doc's `localhost:3000` pointed at the system the test run started (and `localhost:4566`, where
`make run` puts the S3 emulator, at its emulator). Each doc runs twice in a row on the data it left (a reader runs
them again), from an empty folder outside the repository that must stay empty (files go to a
temporary folder), with the partner key in $PARTNER_API_KEY. A doc that drifts from the API fails here.
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

DOCS = ("stacks.md", "check-out.md", "stock-take.md", "partners.md")


def _script(system, doc: str) -> str:
    host = system.base_url.removeprefix("http://")
    parts = ["set -euo pipefail"]
    text = (REPO_ROOT / "docs" / "workflows" / doc).read_text(encoding="utf-8")
    for index, block in enumerate(re.findall(r"```bash\n(.*?)```", text, re.S)):
        parts.append(f"echo '=== {doc} block {index}'")
        block = block.replace("localhost:3000", host)
        # `make run` puts the S3 emulator on localhost:4566 (the transfer walk-through damages a bag there)
        block = block.replace("localhost:4566", system.moto_url.removeprefix("http://"))
        # `make job NAME=x` is the Makefile's wrapper of this command, on the default data folder
        block = block.replace("make job NAME=", f'"{sys.executable}" -m infrastructure.local.jobs '
                                                f'--data-dir "{system.data_dir}" ')
        # the reader's python3 with the Standard Webhooks library installed (the partner guide verifies with it)
        block = block.replace("python3 -", f'"{sys.executable}" -')
        parts.append(block)
    return "\n".join(parts)


def _run(system, doc: str, folder: pathlib.Path, temp: pathlib.Path, timeout: float = 300) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TMPDIR": str(temp), "PARTNER_API_KEY": system.api_key}
    run = subprocess.run(["bash", "-c", _script(system, doc)], cwd=folder, capture_output=True, text=True,
                         timeout=timeout, env=env)
    out = run.stdout
    assert run.returncode == 0, f"{doc}:\n" + out[-3000:] + run.stderr[-3000:]
    blocks = re.findall(r"^=== (\S+) block (\d+)$", out, re.M)
    assert len(blocks) == len(re.findall(r"```bash\n", (REPO_ROOT / "docs/workflows" / doc).read_text()))
    nulls = [line for line in out.splitlines() if line == "null" or "\"id\": null" in line]
    assert not nulls, f"{doc}: an answer without an id (a refused POST?):\n{out[-3000:]}"
    return out


def test_the_stack_managers_day_runs_as_written(local_system, tmp_path: pathlib.Path):
    folder, temp = tmp_path / "cwd", tmp_path / "tmp"
    folder.mkdir()
    temp.mkdir()
    for attempt in (1, 2):  # the second run finds the first one's data
        out = _run(local_system, "stacks.md", folder, temp)
        # stacks: twelve boxes shelved in one call, the thirteenth refused, a sensor's excursion seen
        assert '"placed": 12' in out and '"status": 409' in out, attempt
        assert '"event":"EnvironmentOutOfRange"' in out and '"event":"EnvironmentBackInRange"' in out, attempt
        assert '"valid": true' in out, attempt  # the box's audit chain verifies
    for attempt in (1, 2):
        out = _run(local_system, "check-out.md", folder, temp)
        # circulation: the saga took the box out and brought it home; the queue moved on
        assert re.search(r"^checked_out$", out, re.M) and re.search(r"^returned$", out, re.M), attempt
        assert '"rule": "long_retention_purpose"' in out, attempt
        assert '"status": "queued"' in out and '"kind": "reading_room"' in out, attempt
        assert re.search(r"^at,action,request_id,", out, re.M), attempt  # the register's CSV
    for attempt in (1, 2):
        out = _run(local_system, "stock-take.md", folder, temp)
        # inventory: the count found the moved box misplaced; closing waited for the finding's decision
        assert re.search(r"^total,\d+,1,", out, re.M) and '"status": "closed"' in out, attempt
    assert list(folder.iterdir()) == []  # nothing written where the reader stands


def test_the_records_professionals_day_runs_as_written(local_system, tmp_path: pathlib.Path):
    folder, temp = tmp_path / "cwd", tmp_path / "tmp"
    folder.mkdir()
    temp.mkdir()
    for attempt in (1, 2):  # the second run publishes again and files anew
        out = _run(local_system, "records.md", folder, temp)
        # filed under the class, closed on 2026-03-10 with 5 years: due 2032-01-01; kept 10 years on reflection
        assert '"disposal_due":"2032-01-01"' in out and '"disposal_due":"2037-01-01"' in out, attempt
        assert '"field":"class_code"' in out and '"status":409' in out, attempt  # unknown class; closed file
        assert '"redacted":["creator","keywords"]' in out, attempt  # what a requester sees
        assert re.search(r'^\{"barcode":"REC-[^"]+","status":"unplaced","location":null\}$', out, re.M), attempt
        assert '"status":"completed","total":4,"done":4,"succeeded":3,"failed":1,"percent":100' in out, attempt
        assert '"FileCreated"' in out and '"RetentionOverridden"' in out and '"AccessChanged"' in out, attempt
    assert list(folder.iterdir()) == []


def test_the_partner_guide_runs_as_written(local_system, tmp_path: pathlib.Path):
    folder, temp = tmp_path / "cwd", tmp_path / "tmp"
    folder.mkdir()
    temp.mkdir()
    for attempt in (1, 2):  # the second run finds the client and the keys of the first
        out = _run(local_system, "partners.md", folder, temp)
        # a key issued and used; its scope enforced; the feed read to its end; the key rotated
        assert re.search(r'^ratelimit-policy: "minute";q=120;w=60, "day";q=20000;w=86400$', out, re.M | re.I), attempt
        assert '"status": 403' in out and '"status": 401' in out, attempt
        assert '"type":"OrganisationCreated"' in out, attempt  # the feed from its beginning
        assert re.search(r"^caught up at \S+$", out, re.M) and '"next_cursor": true' in out, attempt
        assert re.search(r'^\{"active":1,"revoked":\d+\}$', out, re.M), attempt
        assert "rmk_" not in out and "whsec_" not in out  # the guide never prints a secret
        # webhooks: subscribed, a private address refused, an event received, verified twice, redelivered
        assert '"secret": true' in out and '"status":400' in out, attempt
        assert "openssl: signature valid" in out, attempt
        assert re.search(r"^python: verified stacks\.ContainerProfileCreated \S+$", out, re.M), attempt
        assert "python: an altered body is refused" in out and "redelivered with the same webhook-id" in out, attempt
    assert list(folder.iterdir()) == []
