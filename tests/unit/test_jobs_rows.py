"""Reading a bulk upload into rows (shared.jobs.read_rows) and trimming a transaction (Tx.truncate)."""
from __future__ import annotations

import json

import pytest

from shared.jobs import _chunks, read_rows
from shared.problems import MalformedRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from shared.transactions import Tx


def test_csv_with_a_bom_and_empty_cells():
    raw = "\ufeffcode,title,note\r\nA-1,첫째,\r\nA-2,\"둘, 째\",memo\r\n".encode()
    assert read_rows(raw, "text/csv; charset=utf-8") == [{"code": "A-1", "title": "첫째"},
                                                         {"code": "A-2", "title": "둘, 째", "note": "memo"}]


def test_csv_cells_beyond_the_header_are_kept_so_the_row_is_refused_by_name():
    rows = read_rows(b"code,title\nA-1,x,surplus\n", "text/csv")
    assert rows == [{"code": "A-1", "title": "x", "_extra": ["surplus"]}]


@pytest.mark.parametrize("raw,problem", [
    (b"code,,title\nA,B,C\n", ValidationFailed),  # an unnamed column
    (b"code,code\nA,B\n", ValidationFailed),
    (b"code,title\n", ValidationFailed),  # no rows
    (b"\xff\xfe", MalformedRequest),
])
def test_bad_csv_uploads(raw, problem):
    with pytest.raises(problem):
        read_rows(raw, "text/csv")


def test_json_uploads():
    assert read_rows(json.dumps({"rows": [{"a": 1}]}).encode(), "application/json") == [{"a": 1}]
    assert read_rows(json.dumps([{"a": 1}, {"b": 2}]).encode(), "application/json") == [{"a": 1}, {"b": 2}]
    with pytest.raises(ValidationFailed):
        read_rows(json.dumps({"rows": [1, 2]}).encode(), "application/json")
    with pytest.raises(MalformedRequest):
        read_rows(b"{", "application/json")


def test_limits_and_media_types():
    with pytest.raises(UnsupportedMediaType):
        read_rows(b"a\n1\n", "text/plain")
    with pytest.raises(PayloadTooLarge):
        read_rows(b"a\n" + b"1\n" * 11, "text/csv", max_rows=10)


def test_chunks_are_bounded_and_cover_every_row_in_order():
    rows = [{"i": i, "text": "x" * 1000} for i in range(1200)]
    chunks = list(_chunks(rows))
    assert all(len(texts) <= 500 and sum(len(t) for t in texts) <= 300_000 for _, texts in chunks)
    assert [json.loads(t)["i"] for _, texts in chunks for t in texts] == list(range(1200))
    assert [start for start, _ in chunks] == [0] + [sum(len(t) for _, t in chunks[:k]) for k in range(1, len(chunks))]


def test_truncate_drops_the_last_operations_whatever_their_kind():
    tx = Tx()
    tx.put("a").update("b", []).delete("c")
    size = tx.size
    tx.put("d").check(object, "k", "s", None).update("e", [])
    assert tx.size == 6
    tx.truncate(size)
    assert tx.size == 3 and [len(tx._ops[k]) for k in ("check", "delete", "put", "update")] == [0, 1, 1, 1]
