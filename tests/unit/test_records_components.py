"""Components' and fixity's pure rules: checksum encodings, part plans, the comparison, download
access, and how a fixity run paces itself."""
from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone

import pytest

from records.domain import components as rules
from records.domain import fixity

DATA = b"records are evidence"
HEX = hashlib.sha256(DATA).hexdigest()
B64 = base64.b64encode(hashlib.sha256(DATA).digest()).decode()


# ------------------------------------------------------------------ checksums
def test_a_declared_checksum_in_hex_or_base64_is_kept_as_lowercase_hex():
    assert rules.sha256_hex(HEX) == HEX
    assert rules.sha256_hex(HEX.upper()) == HEX
    assert rules.sha256_hex(B64) == HEX
    assert rules.sha256_hex(f"  {HEX}\n") == HEX


def test_s3_gets_the_base64_of_the_same_digest():
    assert rules.sha256_base64(HEX) == B64


@pytest.mark.parametrize("value", [
    "", "abc", HEX[:-1], HEX + "0", "g" * 64,  # hex of the wrong length or alphabet
    base64.b64encode(b"x" * 31).decode(),  # base64 of 31 bytes
    base64.b64encode(hashlib.sha1(DATA).digest()).decode(),  # a SHA-1
    B64[:-1] + "!",
])
def test_anything_else_is_refused(value):
    with pytest.raises(rules.BadChecksum):
        rules.sha256_hex(value)


# --------------------------------------------------------------- part plans
def test_up_to_the_threshold_one_put():
    assert rules.part_plan(1) is None
    assert rules.part_plan(rules.MULTIPART_THRESHOLD) is None


def test_above_it_parts_of_whole_mebibytes_covering_the_size():
    size = rules.MULTIPART_THRESHOLD + 1
    plan = rules.part_plan(size)
    assert plan.part_size == rules.MIN_PART_SIZE and plan.part_size % rules.MIB == 0
    sizes = plan.sizes(size)
    assert sum(sizes) == size and len(sizes) == plan.count == 7
    assert all(s == plan.part_size for s in sizes[:-1]) and 0 < sizes[-1] <= plan.part_size


def test_the_largest_component_fits_in_max_parts():
    plan = rules.part_plan(rules.MAX_COMPONENT_BYTES)
    assert plan.count <= rules.MAX_PARTS and sum(plan.sizes(rules.MAX_COMPONENT_BYTES)) == rules.MAX_COMPONENT_BYTES
    assert plan.part_size >= 5 * rules.MIB  # S3's smallest part (but the last)


# -------------------------------------------------------------- comparison
def test_a_match_has_no_mismatch():
    assert rules.compare(len(DATA), HEX, len(DATA), HEX) == []


def test_each_difference_is_named():
    other = hashlib.sha256(b"other").hexdigest()
    assert [m.field for m in rules.compare(len(DATA), HEX, 5, other)] == ["size", "sha256"]
    assert rules.compare(len(DATA), HEX, len(DATA), other)[0].public() == {
        "field": "sha256", "declared": HEX, "found": other}


def test_object_keys_are_one_per_upload():
    assert rules.object_key("o", "f", "i", "u1") != rules.object_key("o", "f", "i", "u2")
    assert rules.object_key("o", "f", "i", "u1").startswith("components/o/")


# ------------------------------------------------------------------ fixity
def test_due_means_last_checked_more_than_a_cycle_ago():
    now = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)
    cutoff = fixity.due_before(now, 365)
    assert cutoff.startswith("2025-12-02T06:00:00")
    assert "2025-12-01T23:59:59.000000Z" < cutoff < "2025-12-02T06:00:01.000000Z"


def test_a_run_takes_at_most_its_component_budget():
    taken = list(fixity.within_budget(range(10), lambda _: 1, fixity.Budget(max_components=3, max_bytes=100)))
    assert taken == [0, 1, 2]


def test_a_run_stops_before_the_byte_budget_is_exceeded():
    sizes = [40, 40, 40, 1]
    taken = list(fixity.within_budget(range(4), lambda i: sizes[i], fixity.Budget(max_components=10, max_bytes=100)))
    assert taken == [0, 1]  # the third would exceed it; the order (oldest first) is kept, never skipped around


def test_an_object_larger_than_the_byte_budget_is_still_checked_alone():
    taken = list(fixity.within_budget(iter([500, 1]), lambda s: s, fixity.Budget(max_components=10, max_bytes=100)))
    assert taken == [500]


def test_the_budget_reads_candidates_lazily():
    seen = []

    def candidates():
        for i in range(1_000_000):
            seen.append(i)
            yield i

    list(fixity.within_budget(candidates(), lambda _: 1, fixity.Budget(max_components=5, max_bytes=10**9)))
    assert len(seen) <= 6  # a run never pages through more of the index than it can check


@pytest.mark.parametrize("kwargs, reason", [
    ({"found": False}, "missing"),
    ({"found": True, "found_size": 9, "found_sha256": HEX}, "size_mismatch"),
    ({"found": True, "found_size": len(DATA), "found_sha256": "0" * 64}, "checksum_mismatch"),
    ({"found": True, "found_size": len(DATA), "found_sha256": HEX, "current": False}, "superseded"),
])
def test_judgement_of_a_reread(kwargs, reason):
    assert fixity.judge(len(DATA), HEX, **kwargs).reason == reason


def test_an_intact_current_version_passes():
    assert fixity.judge(len(DATA), HEX, found=True, found_size=len(DATA), found_sha256=HEX) is None


def test_a_report_counts_everything_and_lists_a_bounded_number_of_failures():
    report = fixity.RunReport(run_id="r", started_at="t")
    bad = fixity.Finding("missing", "gone")
    for n in range(fixity.MAX_FAILURES_IN_REPORT + 5):
        report.count(f"c{n}", "f", "i", 0, bad)
    report.count("ok", "f", "i", 10, None)
    assert (report.checked, report.ok, report.failed, report.bytes_read) == (fixity.MAX_FAILURES_IN_REPORT + 6, 1,
                                                                             fixity.MAX_FAILURES_IN_REPORT + 5, 10)
    assert len(report.failures) == fixity.MAX_FAILURES_IN_REPORT
