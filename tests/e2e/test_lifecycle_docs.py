"""The lifecycle walk-throughs (docs/workflows/disposal.md and transfer.md) run as written against the
local system, twice, as test_workflow_docs.py runs the others (its rules: one bash session per doc,
`localhost:3000` and the emulator's `localhost:4566` pointed at the test's system, an empty folder that
stays empty). In a module of their own: their sagas take minutes, and the suite spreads modules over
its workers.
"""
from __future__ import annotations

import pathlib
import re

import pytest

from tests.e2e.test_workflow_docs import _run

pytestmark = pytest.mark.e2e


def _lines(out: str, start: str) -> list[str]:
    """The output's lines that begin so (what a failed count saw)."""
    return [line for line in out.splitlines() if line.startswith(start)]


def test_the_disposal_walk_through_runs_as_written(local_system, tmp_path: pathlib.Path):
    folder, temp = tmp_path / "cwd", tmp_path / "tmp"
    folder.mkdir()
    temp.mkdir()
    _run(local_system, "records.md", folder, temp)  # as the doc says: the records walk-through published FIN-01-002
    for attempt in (1, 2):
        out = _run(local_system, "disposal.md", folder, temp)
        # closed 2019-03-10 with 5 years: due 2025-01-01, so both come up for appraisal
        assert len(re.findall(r'^\{"id":"[^"]+","disposal_due":"2025-01-01"\}$', out, re.M)) == 2, attempt
        assert '{"held":true,"holds":["Board of Audit and Inspection"]}' in out, attempt
        assert re.search(r'^\{"status":422,"errors":\[\{"field":"file_ids\.1"', out, re.M), attempt  # the held one
        assert '"decision":"destroy"' in out and '{"status":"lifted"' in out, attempt
        # the run destroyed FILE1 (FILE2 was held), records keeps a residual record, the certificate names it
        assert '{"status":"completed","destroyed":1}' in out, attempt
        assert re.search(r'^\{"file_id":"[^"]+","outcome":"destroyed"\}$', out, re.M), attempt
        assert '{"status":"destroyed"}' in out, attempt
        assert re.search(r'^\{"files":\[\{"file_id":"[^"]+","components":0,"votes":3\}\],'
                         r'"supervisor":"Park Ji-won","destroyed":1\}$', out, re.M), attempt
        assert "certificate PDF: %PDF-" in out, attempt
        assert re.search(r"^destroyed_at,run_id,file_id,", out, re.M) and re.search(r"^1$", out, re.M), attempt
    assert list(folder.iterdir()) == []


def test_the_transfer_walk_through_runs_as_written(local_system, tmp_path: pathlib.Path):
    folder, temp = tmp_path / "cwd", tmp_path / "tmp"
    folder.mkdir()
    temp.mkdir()
    _run(local_system, "records.md", folder, temp)  # as the doc says: the records walk-through published FIN-01-002
    for attempt in (1, 2):  # the second run files, moves and sends three new files
        out = _run(local_system, "transfer.md", folder, temp, timeout=900)  # seven sagas, one after another
        # three files closed 2014-12-31, kept permanently: due to the records centre, moved there, due to the archive
        assert out.count('{"status":"closed","production_year":2014,"retention":"permanent"}') == 3, attempt
        assert out.count('{"kind":"to_records_centre","due_on":"2015-01-01","deadline":"2017-01-01","held":false,'
                         '"access_review_stale":false}') == 3, (attempt, _lines(out, '{"kind":'))
        assert '{"status":"closed","custody":"records_centre"}' in out, attempt
        assert out.count('{"kind":"to_archive","due_on":"2025-01-01","deadline":null,"held":false,'
                         '"access_review_stale":false}') == 3, (attempt, _lines(out, '{"kind":'))
        # packaged and verified: Payload-Oxum of 12 payload files (per file: file.json, item.json, page, history)
        assert '{"status":"packaging"}' in out, attempt
        assert re.search(r'^\{"status":"awaiting_inspection","payload_oxum":"\d+\.12","error":null\}$', out,
                         re.M), attempt
        assert out.count('{"state":"verified","components":1}') == 3, attempt
        assert '{"status":"being_transferred"}' in out, attempt
        # one ledger damaged in the bag; the intake verification names its path and both SHA-256s
        assert "damaged in the bag: 200" in out, attempt
        named = re.search(r"^BagInvalid: The bag failed verification at intake: (data/files/([^/]+)/items/[^/]+/"
                          r"components/[^/]+/ledger-2\.txt): SHA-256 ([0-9a-f]{64}) in the bag, ([0-9a-f]{64}) "
                          r"in the manifest$", out, re.M)
        assert named, (attempt, out[-3000:])
        path, damaged_file, now, was = named.groups()
        assert f"{path}: {now} now, {was} recorded" in out and now != was, attempt  # the hashes the doc computed
        assert '{"status":"failed","problem":"bag-invalid"}' in out, attempt
        assert f'{{"file_id":"{damaged_file}","state":"failed_verification"}}' in out, attempt
        assert len(re.findall(r'^\{"file_id":"[^"]+","state":"returned"\}$', out, re.M)) == 2, attempt
        assert out.count('{"status":"closed"} at the sender, 404 at the archive') == 3, attempt  # nothing moved
        # sent again: two accepted, one rejected; residual records at the sender, the files at the archive
        assert out.count('"inspection":"reject"}') == 1, attempt
        assert '{"status":"accepted","accepted_count":2,"rejected_count":1}' in out, attempt
        assert out.count('{"status":"transferred","transferred_to":"org-nak"}') == 2, attempt
        assert out.count('{"status":"closed","transferred_to":null}') == 1, attempt  # the rejected one, unchanged
        assert out.count('{"status":"closed","custody":"received","from":"org-src"}') == 2, attempt
        # the export: a ready, zipped bag and its EAD3 description
        assert '{"status":"ready","file_count":1,"bag":true,"ead3":true}' in out, attempt
        assert re.search(r"^the bag: PK archive of \d+ bytes$", out, re.M), attempt
    assert list(folder.iterdir()) == []
