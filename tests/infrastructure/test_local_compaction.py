"""Compaction merges the journal's closed segments into the snapshot's files, without moto.

GIVEN a snapshot of two tables and journal segments after it (puts, an update, a delete, a torn last
line, and a segment still open)
WHEN the closed segments are merged (in a child process, as the local system does)
THEN the changed table's file holds each item's last state, the open segment's writes are not in it,
the untouched table's file is not rewritten, and restoring from the merged files gives what
restoring from the old snapshot and the whole journal gives.
"""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys

from infrastructure.local import compaction

ROOT = pathlib.Path(__file__).resolve().parents[2]
TABLES = {"records-local-Boxes": ["BoxesTable", ["pk", "sk"]], "records-local-Other": ["OtherTable", ["pk"]]}


def _item(pk: str, sk: str, **extra) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in extra.items()}}


def _line(*changes) -> bytes:
    return (json.dumps([[table, key, item] for table, key, item in changes]) + "\n").encode()


def _setup(root: pathlib.Path) -> None:
    (root / "tables").mkdir(parents=True)
    (root / "tables" / "BoxesTable.json").write_text(json.dumps({"items": [
        _item("ORG#a", "BOX#1", status="unplaced"), _item("ORG#a", "BOX#2", status="unplaced")]}))
    (root / "tables" / "OtherTable.json").write_text('{"items": [{"pk": {"S": "x"}}]}')
    (root / "snapshot.json").write_text(json.dumps({"journal_from": 3}))
    journal = root / "journal"
    journal.mkdir()
    boxes = "records-local-Boxes"
    key = lambda n: {"pk": {"S": "ORG#a"}, "sk": {"S": f"BOX#{n}"}}  # noqa: E731
    (journal / "00000002.log").write_bytes(_line((boxes, key(1), _item("ORG#a", "BOX#1", status="lost"))))
    (journal / "00000003.log").write_bytes(
        _line((boxes, key(1), _item("ORG#a", "BOX#1", status="shelved")), (boxes, key(3), _item("ORG#a", "BOX#3")))
        + _line((boxes, key(2), None)) + b'[["records-local-Boxes", {"pk"')  # a torn last line
    (journal / "00000004.log").write_bytes(_line((boxes, key(4), _item("ORG#a", "BOX#4"))))  # still open


def test_closed_segments_are_merged_into_the_files_they_change(tmp_path):
    _setup(tmp_path)
    other_before = (tmp_path / "tables" / "OtherTable.json").stat().st_mtime_ns
    plan = {"root": str(tmp_path), "until": 4, "tables": TABLES, "buckets": {}}
    done = subprocess.run([sys.executable, "-m", "infrastructure.local.compaction"], input=json.dumps(plan),
                          capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(done.stdout) == {"changed": True}
    assert "incomplete journal line" in done.stderr

    items = json.loads((tmp_path / "tables" / "BoxesTable.json").read_text())["items"]
    assert [(i["sk"]["S"], i.get("status", {}).get("S")) for i in items] == [("BOX#1", "shelved"), ("BOX#3", None)]
    assert (tmp_path / "tables" / "OtherTable.json").stat().st_mtime_ns == other_before
    # segment 2 was covered by the snapshot already (journal_from 3): its older state of BOX#1 is not replayed
    assert compaction.merge(tmp_path, TABLES, {}, until=4) is True  # merging again gives the same files
    assert json.loads((tmp_path / "tables" / "BoxesTable.json").read_text())["items"] == items


def test_nothing_to_merge_changes_nothing(tmp_path):
    _setup(tmp_path)
    assert compaction.merge(tmp_path, TABLES, {}, until=3) is False  # segments before 3 are covered already


def test_restoring_from_merged_files_equals_restoring_from_the_whole_journal(tmp_path):
    _setup(tmp_path)

    def restored() -> dict:
        state = {k: i for i in json.loads((tmp_path / "tables" / "BoxesTable.json").read_text())["items"]
                 for k in [compaction.item_key(i, ["pk", "sk"])]}
        since = json.loads((tmp_path / "snapshot.json").read_text())["journal_from"]
        for table, key, item in compaction.read_changes(tmp_path / "journal", since):
            if table == "records-local-Boxes":
                k = compaction.item_key(key, ["pk", "sk"])
                state.pop(k, None) if item is None else state.__setitem__(k, item)
        return state

    before = restored()
    compaction.merge(tmp_path, TABLES, {}, until=4)
    (tmp_path / "snapshot.json").write_text(json.dumps({"journal_from": 4}))
    assert restored() == before and len(before) == 3  # BOX#1 shelved, BOX#3, BOX#4 from the open segment
