"""The transfer sagas with the REAL steps of records, audit and stacks, as test_transfer_saga_real.py runs them,
shared by a whole test module, and a fault injector that fails any one step before or after its real work.

One world per module: the tables (built from template.yaml), the records bucket, both organisations' schemes
and the sender's stacks layout are made once; each test makes its own files and boxes and asserts on them
alone. The integration layer spreads tests one by one across processes (`--dist load`), so another module's
test may rebuild the tables between two tests of this one: each test checks the tables are the ones the world
built (their creation times) and builds the world again when they are not.

`Injector` fails the n-th call of a step (by step name, counted from `arm`) either before the real handler
runs (nothing done) or after it (the work done, the answer lost): what a retry or a compensation must then
cope with. `failed_in(run)` names the states where the injected errors were met (from the execution's
history), so a test checks its fault hit the state it meant.
"""
from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

import boto3
import pytest

from tests.integration.circulation_world import InjectedFailure, TransientError
from tests.integration.conftest import TABLES
from tests.integration.records_world import Records, rule, scheme_events
from tests.integration.stacks_world import Stacks, _serialise_moto_writes
from tests.integration.test_stacks_record_files import feed as feed_stacks
from tests.integration.test_transfer_saga_real import MANAGER, Real
from tests.integration.transfer_world import ARCHIVE, BUCKET, ORG, TransferWorld
from tests.support.template import create_table

__all__ = ["Fault", "InjectedFailure", "Injector", "SharedReal", "TransientError", "real", "shared_real"]

BOXES_PER_SHELF = 10  # the stacks profile's shelves: 1000 mm, its boxes 100 mm wide
OWN_TABLES = {**TABLES, "RecordsTable": "records", "TransferTable": "transfer"}


@dataclass
class Fault:
    """Fail the `nth` call of `step` (counted from `Injector.arm`), and the `times - 1` calls after it, either
    `before` the real handler runs or `after` it did its work (the answer lost)."""
    step: str
    nth: int = 1
    when: str = "before"
    error: type[Exception] = InjectedFailure
    times: int = 1
    message: str = ""
    fired: int = 0

    def __post_init__(self) -> None:
        assert self.when in ("before", "after")
        self.message = self.message or f"{self.step} #{self.nth} broke {self.when} its work ({uuid.uuid4().hex[:6]})"


class Injector:
    """Fails saga steps as `arm(Fault(...), ...)` plans them; every step's calls counted from `arm`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults: list[Fault] = []
        self.calls: Counter[str] = Counter()

    def arm(self, *faults: Fault) -> list[Fault]:
        with self._lock:
            self.calls.clear()
            self.faults = list(faults)
            return self.faults

    def disarm(self) -> None:
        self.arm()

    def wrap(self, handler: Callable[[dict, Any], Any]) -> Callable[[dict, Any], Any]:
        def run(event: dict, context: Any) -> Any:
            with self._lock:
                step = event.get("step", "")
                self.calls[step] += 1
                hit = next((f for f in self.faults
                            if f.step == step and f.nth <= self.calls[step] < f.nth + f.times), None)
                if hit is not None:
                    hit.fired += 1
            if hit is not None and hit.when == "before":
                raise hit.error(hit.message)
            result = handler(event, context)
            if hit is not None:
                raise hit.error(hit.message)
            return result
        return run


class SharedReal(Real):
    """`Real` (records' and stacks' APIs for both organisations) over a world kept for a module."""

    def __init__(self, aws, injector: Injector) -> None:
        self.aws, self.injector = aws, injector
        self.built: dict[str, Any] = {}
        self.bucket = f"records-test-{uuid.uuid4().hex[:12]}"
        self.published: set[str] = set()
        self.kept: dict[str, Any] = {}  # what a test left as it found it, for the next test (see `take`)
        super().__init__(TransferWorld(aws, injector, None, None, None), Records(aws), Stacks(aws), self.bucket)

    # ------------------------------------------------------------------ world
    def _created(self) -> dict[str, Any]:
        return {name: self.aws.ddb.describe_table(TableName=name)["Table"]["CreationDateTime"]
                for name in OWN_TABLES.values() if name in self.aws.ddb.list_tables()["TableNames"]}

    def ensure(self) -> None:
        """The world this module built, or built again if another module's test replaced its tables."""
        if self.built and self._created() == self.built:
            return
        for logical_id, name in OWN_TABLES.items():
            if name in self.aws.ddb.list_tables()["TableNames"]:
                self.aws.ddb.delete_table(TableName=name)
            create_table(self.aws.ddb, logical_id, name)
        self.published.clear()
        self.kept.clear()
        self.transfer.organisation(ARCHIVE, "permanent_archive")
        self.transfer.organisation(ORG, "records_centre")
        tasks = {"FIN-01": rule("5y"), "FIN-02": rule("permanent", access="closed", grounds=[2])}
        for org in (ORG, ARCHIVE):
            assert self.records.feed(scheme_events(1, tasks, org)) == {"batchItemFailures": []}
        self.lay_out()
        self.built = self._created()

    def lay_out(self) -> None:
        """The sender's repository R01 and its profiles; ranges of shelves are added as the module's boxes need."""
        self.stacks.repository("R01", who=MANAGER)
        self.shelf_profile = self.stacks.shelf_profile(who=MANAGER)["id"]
        self.box_profile = self.stacks.box_profile(who=MANAGER)["id"]
        self.placed, self.ranges = 0, 0

    def shelved_box(self, barcode: str, file_ids: list[str]) -> dict:
        """A box of the files placed on a shelf with room (a module places more boxes than one range holds)."""
        shelf = self.placed // BOXES_PER_SHELF
        number, section, level = 1 + shelf // 6, 1 + shelf % 6 // 3, 1 + shelf % 3  # ranges of 2 × 3 shelves
        while self.ranges < number:
            self.ranges += 1
            self.stacks.range_("R01", self.ranges, self.shelf_profile, who=MANAGER)
        box = self.stacks.box(barcode, self.box_profile, who=MANAGER, files=file_ids)
        status, body, _ = self.stacks.place(box, f"R01-{number:02d}-{section:02d}-{level}", who=MANAGER)
        assert status == 200, body
        self.placed += 1
        return body["box"]

    def buckets(self) -> None:
        s3 = boto3.client("s3")
        names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        if self.bucket not in names:
            s3.create_bucket(Bucket=self.bucket, ObjectLockEnabledForBucket=True)
            s3.put_bucket_versioning(Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"})
        if BUCKET not in names:
            s3.create_bucket(Bucket=BUCKET)
            s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})

    def publish(self) -> None:
        """Records' events not yet delivered, as the relay delivers them, to transfer's and stacks' consumers
        (only the new ones: the module's table keeps every earlier test's events)."""
        fresh = [e for e in self.records.events() if e["id"] not in self.published]
        if fresh:
            self.transfer.feed(fresh)
            assert feed_stacks(fresh) == {"batchItemFailures": []}
        self.published |= {e["id"] for e in fresh}

    def take(self, name: str, make: Callable[[], Any]) -> Any:
        """What an earlier test of the module handed on under `name` (it asserted it as it found it), else a new
        one; a test hands it on (`keep`) only once its own assertions passed, so a failed test hands on nothing."""
        return self.kept.pop(name, None) or make()

    def keep(self, name: str, thing: Any) -> None:
        self.kept[name] = thing

    # ------------------------------------------------------------------ reads
    def failed_in(self, run: dict, fault: Fault) -> list[str]:
        """The states (`Map/State` inside a Map) whose task failed with the fault's error, in order."""
        maps: list[str] = []
        state, found = "", []
        for e in self.aws.history(run["executionArn"]):
            kind = e["type"]
            if kind == "MapStateEntered":
                maps.append(e["stateEnteredEventDetails"]["name"])
            elif kind.startswith("MapState") and kind.endswith(("Exited", "Failed", "Aborted")) and maps:
                maps.pop()
            elif kind == "TaskStateEntered":
                state = "/".join([maps[-1], e["stateEnteredEventDetails"]["name"]] if maps else
                                 [e["stateEnteredEventDetails"]["name"]])
            elif kind == "TaskFailed" and fault.message in (e["taskFailedEventDetails"].get("cause") or ""):
                found.append(state)
        return found

    def copies_at(self, org: str, file_id: str) -> list[str]:
        """Every version of a component object records holds for the file under the organisation."""
        pages = self.s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket,
                                                                       Prefix=f"components/{org}/{file_id}/")
        return [v["Key"] for page in pages for v in (page.get("Versions") or []) + (page.get("DeleteMarkers") or [])]


@pytest.fixture(scope="module")
def shared_real(aws_world):
    """One world for the module (see the module's docstring)."""
    world = SharedReal(aws_world, Injector())
    yield world
    aws_world.wait_until_idle(deadline_s=120)


@pytest.fixture
def real(shared_real, monkeypatch) -> SharedReal:
    """The module's world for one test: its handlers in the router (each behind the injector), its
    environment, its tables checked (rebuilt if another module's test replaced them)."""
    from audit import tasks as audit_tasks
    from audit.data import exports
    from records import tasks as records_tasks
    from records.data import components as store
    from stacks import tasks as stacks_tasks
    from transfer import tasks
    from transfer.data import packages
    from transfer.integration import workflows

    aws = shared_real.aws
    _serialise_moto_writes(monkeypatch)
    monkeypatch.delenv("TABLE_NAME", raising=False)  # each capability on the table named after it
    monkeypatch.setenv("RECORDS_BUCKET", shared_real.bucket)
    monkeypatch.setenv("TRANSFER_BUCKET", BUCKET)
    monkeypatch.setenv("TRANSFER_PACKAGE_STATE_MACHINE_ARN", aws.machine_arns["transfer-package"])
    monkeypatch.setenv("TRANSFER_ACCEPT_STATE_MACHINE_ARN", aws.machine_arns["transfer-accept"])
    for reset in (workflows._client.cache_clear, packages._client.cache_clear, store.reset_client,
                  exports.reset_client):
        reset()
    shared_real.injector.disarm()
    aws.router.calls.clear()
    aws.router.handlers.clear()
    wrap = shared_real.injector.wrap
    aws.router.handlers.update({
        "TransferTasksFunction": wrap(tasks.handler),
        "RecordsTasksFunction": wrap(records_tasks.handler),
        "RecordsTransferFunction": wrap(records_tasks.transfer_handler),
        "AuditTasksFunction": wrap(audit_tasks.handler),
        "StacksTasksFunction": wrap(stacks_tasks.handler)})
    shared_real.buckets()
    shared_real.ensure()
    yield shared_real
    aws.wait_until_idle(deadline_s=120)  # a failed test's executions end here, not in the next test
    shared_real.injector.disarm()
    for reset in (workflows._client.cache_clear, packages._client.cache_clear, store.reset_client):
        reset()
