"""Trust: nothing acknowledged is ever lost by the local system, even by `kill -9`.

GIVEN six writers registering container profiles and boxes, each logging every id the
system acknowledged (201)
WHEN the whole local system (gateway, moto, workers: its process group) is killed with
SIGKILL mid-stream, and started again on the same data without --fresh
THEN every acknowledged profile and box is there, each has its creation event in the
audit trail exactly once, and a clean stop (SIGTERM) afterwards exits cleanly.
"""
from __future__ import annotations

import http.client
import signal
import threading
import uuid

import pytest

from tests.e2e.conftest import start_local_system, wait_for

pytestmark = pytest.mark.e2e
WRITERS = 6
ACKNOWLEDGED_BEFORE_KILL = 60


def _writer(system, token: str, acknowledged: list[tuple[str, str]], lock: threading.Lock,
            stop: threading.Event) -> None:
    def post(path: str, body: dict) -> dict | None:
        try:
            response = system.request("POST", path, token=token, json_body=body,
                                      headers={"Idempotency-Key": uuid.uuid4().hex}, timeout=10)
        except (OSError, http.client.HTTPException):  # the system is gone (mid-answer too): nothing acknowledged
            return None
        return response.json() if response.status == 201 else None

    while not stop.is_set():
        profile = post("/container-profiles", {"name": f"Box {uuid.uuid4().hex[:6]}", "width_mm": 100,
                                               "height_mm": 300, "depth_mm": 380, "weight_kg": 5})
        if profile is None:
            continue
        with lock:
            acknowledged.append(("container-profiles", profile["id"]))
        box = post("/boxes", {"barcode": f"D-{uuid.uuid4().hex[:12]}", "container_profile_id": profile["id"],
                              "producing_unit": "Finance", "record_form": "document"})
        if box is not None:
            with lock:
                acknowledged.append(("boxes", box["id"]))


def test_every_acknowledged_write_survives_kill_9_and_reaches_the_audit_trail_once(tmp_path):
    system = start_local_system(tmp_path)
    token = system.token("stacks@src")
    acknowledged: list[tuple[str, str]] = []
    lock, stop = threading.Lock(), threading.Event()
    writers = [threading.Thread(target=_writer, args=(system, token, acknowledged, lock, stop)) for _ in range(WRITERS)]
    try:
        for writer in writers:
            writer.start()
        wait_for(lambda: len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL, timeout=120, interval=0.05,
                 what=f"{ACKNOWLEDGED_BEFORE_KILL} acknowledged writes")
        system.kill_hard()  # mid-stream: the writers are still posting
    finally:
        stop.set()
        for writer in writers:
            writer.join()
        if system.process.poll() is None:
            system.kill_hard()
    with lock:
        written = list(acknowledged)

    again = start_local_system(tmp_path, fresh=False)
    try:
        token, auditor = again.token("stacks@src"), again.token("auditor@src")
        missing = [(kind, id_) for kind, id_ in written
                   if again.request("GET", f"/{kind}/{id_}", token=token).status != 200]
        assert missing == [], f"{len(missing)} of {len(written)} acknowledged writes lost"

        def histories() -> dict[str, list[str]] | None:
            found = {}
            for _, id_ in written:
                response = again.request("GET", f"/audit/entities/{id_}/events", token=auditor)
                if response.status != 200:
                    return None
                found[id_] = [entry["event"]["id"] for entry in response.json()["items"]]
            return found

        recorded = wait_for(histories, timeout=120, interval=0.5,
                            what="every acknowledged write's event in the audit trail after the restart")
        assert all(len(ids) == len(set(ids)) >= 1 for ids in recorded.values()), "an event was recorded twice"

        # a clean stop drains and saves (bench/ reports how long it takes; the bound is 5 s)
        again.process.send_signal(signal.SIGTERM)
        assert again.process.wait(timeout=30) == 0
        assert "stopped in" in again.log_tail(5)
    finally:
        again.stop()
