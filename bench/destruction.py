"""Destruction at scale: does a run's cost per file stay flat in the number of files?

    .venv/bin/python -m bench.destruction                  # 100 and 1,000 files, 10 components each
    .venv/bin/python -m bench.destruction --sizes 100,1000,2000 --components 10

For each size: a fresh moto server in its own process (bench.stocktake's: atomic transactions and queries
that find their partition by key, as DynamoDB does), disposal's table from template.yaml and the certificates
bucket; N files decided for destruction by the committee (written through disposal's own item mapping; seeding
is not measured). Then a run is asked for through the route's use case (`start_run`, measured on its own:
it writes the run's files) and its saga runs exactly as destruction.asl.json drives it, in process: prepare,
per page (25 files) `page` + records' mark + `record_marks`, start_grace, confirm, the release pages, per
page `page` + records' destroy_files + stacks' destroy_contents + `record_destroyed`, certify. Records' and
stacks' steps are stand-ins answering as contracts A1 and A2 say (no AWS calls of theirs are counted: they
are records' and stacks' figures), each file with `--components` components and ten files a box.

Measured: state transitions (states entered, counted as Step Functions would on this path), disposal's
DynamoDB and S3 calls (per file), wall time (per file), peak Python memory of each kind of step (tracemalloc,
reset before each step: what one Lambda invocation of that step holds at most). Printed, never asserted.
A page step's memory is flat by construction (25 files); `certify` holds the certificate it writes, which
grows with the files it lists; `prepare`, `start_grace` and `confirm` read page by page.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import pathlib
import sys
import time
import tracemalloc
from collections import defaultdict
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "functions" / "disposal"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench.stocktake import _start_moto  # noqa: E402  (the moto server that answers as DynamoDB would)

ORG, BUCKET = "org-bench", "bench-disposal-certificates"
MEMBERS = ("m-kim", "m-lee", "m-choi")


class StandIns:
    """Records' and stacks' destruction steps (contracts A1, A2) over an in-memory picture of the files."""

    def __init__(self, components: int) -> None:
        self.components = components
        self.status: dict[str, str] = {}

    def mark(self, run_id: str, file_ids: list[str]) -> dict[str, Any]:
        for f in file_ids:
            self.status[f] = "being_destroyed"
        return {"marked": list(file_ids), "refused": []}

    def unmark(self, run_id: str, file_ids: list[str]) -> dict[str, Any]:
        for f in file_ids:
            self.status[f] = "closed"
        return {"unmarked": list(file_ids)}

    def destroy_files(self, run_id: str, file_ids: list[str]) -> dict[str, Any]:
        out = []
        for f in file_ids:
            self.status[f] = "destroyed"
            out.append({"file_id": f, "title": f"File {f}", "components": [
                {"component_id": f"{f}-c{i}", "item_id": f"{f}-i{i // 5}", "name": f"scan-{i}.pdf",
                 "sha256": hashlib.sha256(f"{f}/{i}".encode()).hexdigest(), "size": 250_000, "versions_deleted": 1}
                for i in range(self.components)]})
        return {"destroyed": out, "skipped": []}

    def destroy_contents(self, run_id: str, file_ids: list[str]) -> dict[str, Any]:
        boxes: dict[str, list[str]] = defaultdict(list)
        for f in file_ids:
            boxes[f"box-{int(f.split('-')[1]) // 10:05d}"].append(f)
        return {"boxes": [{"box_id": b, "barcode": f"BX{b[4:]}", "files_destroyed": fs, "box_destroyed": True}
                          for b, fs in boxes.items()]}


def _seed(n: int) -> str:
    """n closed files in a review list, each through the three steps to a committee decision `destroy`."""
    from disposal.data import tables as t
    from disposal.domain.model import (Decision, FileReview, FileView, Meeting, Member, Opinion, ProfessionalReview,
                                       ReviewList, Vote)
    stamp, list_id = "2026-12-01T00:00:00.000Z", "list-bench"
    with t.MemberItem.batch_write() as batch:
        for m in MEMBERS:
            batch.save(t.MemberItem.of(Member(org_id=ORG, id=m, name=m, kind="external", user_id=None,
                                              affiliation=None, active=True, created_by="bench", created_at=stamp)))
    t.MeetingItem.of(Meeting(org_id=ORG, id="meeting-1", held_on="2026-11-30", present=MEMBERS, title=None,
                             created_by="bench", created_at=stamp)).save()
    t.ReviewListItem.of(ReviewList(org_id=ORG, id=list_id, title="bench", producing_unit="Finance", origin="manual",
                                   file_count=n, created_by="bench", created_at=stamp, as_of="2026-12-01")).save()
    decision = Decision(meeting_id="meeting-1", decision="destroy", retention=None, defer_until=None,
                        votes=tuple(Vote(m, "for") for m in MEMBERS), recorded_by="bench", recorded_at=stamp)
    with t.FileViewItem.batch_write() as views, t.FileReviewItem.batch_write() as entries:
        for i in range(n):
            file_id = f"f-{i:06d}"
            views.save(t.FileViewItem.of(FileView(org_id=ORG, id=file_id, title=f"File {i}", producing_unit="Finance",
                                                  class_code="FIN-01", status="closed", retention="5y",
                                                  action="review", disposal_due="2025-01-01", listed_in=list_id)))
            entries.save(t.FileReviewItem.of(FileReview(
                org_id=ORG, list_id=list_id, file_id=file_id, title=f"File {i}", producing_unit="Finance",
                class_code="FIN-01", retention="5y", disposal_due="2025-01-01",
                opinion=Opinion("destroy", None, "Head of Finance", "bench", stamp),
                review=ProfessionalReview("agree", None, None, None, "bench", stamp), decision=decision)))
    return list_id


def run_size(n: int, components: int) -> dict[str, Any]:
    process, url = _start_moto()
    try:
        os.environ.update({"AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                           "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "TABLE_NAME": "disposal",
                           "CERTIFICATES_BUCKET": BUCKET, "POWERTOOLS_LOG_LEVEL": "WARNING", "LOG_LEVEL": "WARNING",
                           "DESTRUCTION_STATE_MACHINE_ARN":
                               "arn:aws:states:us-east-1:123456789012:stateMachine:bench-destruction"})
        import boto3
        from infrastructure import cfn
        from disposal import logic
        from disposal.data import certificates, tables
        from disposal.integration import workflows
        from disposal.logic import destruction as saga
        from shared.auth import Caller

        cfn.create_table(boto3.client("dynamodb", endpoint_url=url),
                         cfn.template()["Resources"]["DisposalTable"]["Properties"], "disposal")
        boto3.client("s3", endpoint_url=url).create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
        tables.TABLE.reset()
        certificates._s3.cache_clear()
        workflows.start = lambda name, payload: True  # the bench drives the saga itself, below
        calls = {"dynamodb": 0, "s3": 0}
        tables.TABLE.connection().client.meta.events.register(
            "before-send.dynamodb.*", lambda **_: calls.__setitem__("dynamodb", calls["dynamodb"] + 1))
        certificates._s3().meta.events.register("before-send.s3.*",
                                                lambda **_: calls.__setitem__("s3", calls["s3"] + 1))
        list_id = _seed(n)
        peers = StandIns(components)
        archivist = Caller(user_id="u-bench", org_id=ORG, roles=frozenset({"archivist"}))

        peaks: dict[str, float] = defaultdict(float)
        spent: dict[str, float] = defaultdict(float)
        transitions = {"n": 0}
        tracemalloc.start()

        def step(name: str, fn, *args):
            transitions["n"] += 1
            tracemalloc.reset_peak()
            base, _ = tracemalloc.get_traced_memory()
            began_step = time.perf_counter()
            out = fn(*args)
            spent[name] += time.perf_counter() - began_step
            peaks[name] = max(peaks[name], (tracemalloc.get_traced_memory()[1] - base) / 2**20)
            return out

        began = time.perf_counter()
        run = step("start_run (route)", logic.start_run, archivist,
                   {"review_list_id": list_id, "supervisor": {"name": "Park", "title": "Head"}}, f"bench-{n}")
        route_seconds = time.perf_counter() - began
        route_calls = dict(calls)
        calls.update(dynamodb=0, s3=0)
        began = time.perf_counter()
        transitions["n"] = 1  # Mode
        plan = step("prepare", saga.prepare, ORG, run.id)

        def pages(phase: str, records, after=None) -> None:
            transitions["n"] += 1  # the Map state
            for page_no in range(plan["pages"]):
                files = step("page", saga.page, ORG, run.id, page_no, phase)
                transitions["n"] += 1  # AnyFiles
                if files["empty"]:
                    transitions["n"] += 1  # PageDone
                    continue
                answer = step(phase + " (records stand-in)", records, run.id, files["file_ids"])
                if after:
                    after(page_no, files["file_ids"], answer)
                transitions["n"] += 1  # PageDone

        pages("mark", peers.mark, lambda p, ids, marks: step("record_marks", saga.record_marks, ORG, run.id, p,
                                                              marks["marked"], marks["refused"]))
        grace = step("start_grace", saga.start_grace, ORG, run.id)
        transitions["n"] += 1  # Cancelled?
        assert not grace["cancelled"] and not grace["wait"]
        confirmed = step("confirm", saga.confirm, ORG, run.id)
        transitions["n"] += 1  # Confirmed?
        assert confirmed["outcome"] == "destroy"
        pages("release", peers.unmark)

        def destroyed(page_no: int, ids: list[str], answer: dict[str, Any]) -> None:
            contents = step("destroy_contents (stacks stand-in)", peers.destroy_contents, run.id, ids)
            step("record_destroyed", saga.record_destroyed, ORG, run.id, page_no, answer["destroyed"],
                 answer["skipped"], contents["boxes"])

        pages("destroy", peers.destroy_files, destroyed)
        result = step("certify", saga.certify, ORG, run.id)
        transitions["n"] += 1  # Completed
        saga_seconds = time.perf_counter() - began
        tracemalloc.stop()
        assert result["destroyed"] == n and result["components"] == n * components, result
        return {"files": n, "components": n * components, "pages": plan["pages"], "transitions": transitions["n"],
                "route_seconds": route_seconds, "route_calls": route_calls, "seconds": saga_seconds,
                "calls": dict(calls), "peaks": dict(peaks), "spent": dict(spent)}
    finally:
        process.kill()
        process.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--components", type=int, default=10)
    args = parser.parse_args(argv)
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        print(f"destroying {n} files ...", file=sys.stderr, flush=True)
        rows.append(run_size(n, args.components))
    print(f"{'files':>6} {'comps':>6} {'pages':>5} {'transitions':>11} {'/file':>6} {'saga s':>7} {'ms/file':>7} "
          f"{'ddb':>6} {'ddb/file':>8} {'s3':>4} {'s3/file':>7} {'route s':>7} {'route ddb/file':>14}")
    for r in rows:
        f = r["files"]
        print(f"{f:>6} {r['components']:>6} {r['pages']:>5} {r['transitions']:>11} {r['transitions'] / f:>6.2f} "
              f"{r['seconds']:>7.1f} {r['seconds'] / f * 1000:>7.1f} {r['calls']['dynamodb']:>6} "
              f"{r['calls']['dynamodb'] / f:>8.2f} {r['calls']['s3']:>4} {r['calls']['s3'] / f:>7.3f} "
              f"{r['route_seconds']:>7.1f} {r['route_calls']['dynamodb'] / f:>14.2f}")
    print("\nper kind of step: peak Python memory of one invocation, MiB (the most any one call held) | seconds in all")
    names = list(rows[0]["peaks"])
    print(f"{'step':<36}" + "".join(f"{r['files']:>10}" for r in rows) + " |" + "".join(f"{r['files']:>9}" for r in rows))
    for name in names:
        print(f"{name:<36}" + "".join(f"{r['peaks'].get(name, 0):>10.2f}" for r in rows) + " |"
              + "".join(f"{r['spent'].get(name, 0):>9.2f}" for r in rows))
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        ratio = b["files"] / a["files"]
        per = lambda r, k: r["calls"][k] / r["files"]  # noqa: E731
        print(f"\n{ratio:.0f}x the files: time per file x{(b['seconds'] / b['files']) / (a['seconds'] / a['files']):.2f}, "
              f"DynamoDB calls per file x{per(b, 'dynamodb') / per(a, 'dynamodb'):.2f}, "
              f"transitions per file x{(b['transitions'] / b['files']) / (a['transitions'] / a['files']):.2f}, "
              f"page-step peak memory x{b['peaks']['page'] / a['peaks']['page']:.2f}, "
              f"record_destroyed peak x{b['peaks']['record_destroyed'] / a['peaks']['record_destroyed']:.2f}, "
              f"certify peak x{b['peaks']['certify'] / a['peaks']['certify']:.2f} (the certificate lists every file)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
