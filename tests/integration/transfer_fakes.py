"""Stand-ins for the records, audit and stacks saga steps of a transfer, following contracts B1 and B2 to the
letter (step names, payload keys, result keys, refusal reasons), until those capabilities' own steps land.

Each keeps its state in memory and really reads and writes the bag in the (moto) packages bucket, so the
transfer's own steps meet the same objects they will meet in production. `TransferWorld.use_real(...)` (see
transfer_world.py) puts a capability's real task handler in place of its fake.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import boto3


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class FakeFile:
    org_id: str
    file_id: str
    status: str = "closed"
    prior_status: str | None = None
    marked_by: str | None = None
    received_by: str | None = None  # at the receiver: the transfer that created it
    custody: str | None = None
    components: dict[tuple[str, str], tuple[str, bytes]] = field(default_factory=dict)  # (item, comp) -> (name, bytes)
    transferred_to: dict | None = None


class FakeRecords:
    """records' transfer steps (contracts B1): mark/unmark, package_files, receive/unreceive, release."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, str], FakeFile] = {}
        self.corrupt: set[str] = set()  # component ids whose bytes no longer match their hash at the sender

    def add(self, org_id: str, file_id: str, components: int = 2, status: str = "closed") -> FakeFile:
        f = FakeFile(org_id, file_id, status=status)
        for n in range(components):
            f.components[("i1", f"c{n}")] = (f"page-{n}.txt", f"{file_id} component {n}\n".encode() * 3)
        self.files[(org_id, file_id)] = f
        return f

    def handler(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return getattr(self, event["step"])(event)

    def mark_for_transfer(self, e):
        marked, refused = [], []
        for fid in e["file_ids"]:
            f = self.files.get((e["org_id"], fid))
            if f is None:
                refused.append({"file_id": fid, "reason": "unknown-file"})
            elif f.marked_by == e["transfer_id"]:
                marked.append(fid)
            elif f.status == "being_transferred":
                refused.append({"file_id": fid, "reason": "in-other-run"})
            elif f.status in ("transferred", "destroyed"):
                refused.append({"file_id": fid, "reason": "final"})
            elif f.status not in ("closed", "under_review"):
                refused.append({"file_id": fid, "reason": "not-closed"})
            else:
                f.prior_status, f.status, f.marked_by = f.status, "being_transferred", e["transfer_id"]
                marked.append(fid)
        return {"marked": marked, "refused": refused}

    def unmark_for_transfer(self, e):
        unmarked = []
        for fid in e["file_ids"]:
            f = self.files.get((e["org_id"], fid))
            if f and f.marked_by == e["transfer_id"] and f.status == "being_transferred":
                f.status, f.prior_status, f.marked_by = f.prior_status, None, None
                unmarked.append(fid)
        return {"unmarked": unmarked}

    def package_files(self, e):
        s3 = boto3.client("s3")
        entries, refused = [], []

        def put(path: str, data: bytes) -> None:
            s3.put_object(Bucket=e["bucket"], Key=f"{e['prefix']}/{path}", Body=data)
            entries.append({"path": path, "sha256": _sha(data), "size": len(data)})

        for fid in e["file_ids"]:
            f = self.files.get((e["org_id"], fid))
            if f is None or (f.marked_by != e["transfer_id"] and not e.get("export")):
                continue  # an export (`export: true`, beyond contract B1) packages files read-only, unmarked
            bad = [c for (_, c) in f.components if c in self.corrupt]
            if bad:
                refused.append({"file_id": fid, "reason": "component-corrupt", "component_id": bad[0]})
                continue
            put(f"data/files/{fid}/file.json", json.dumps({"id": fid, "retention": "permanent"}).encode())
            for (item, comp), (name, data) in sorted(f.components.items()):
                put(f"data/files/{fid}/items/{item}/item.json", json.dumps({"id": item}).encode())
                put(f"data/files/{fid}/items/{item}/components/{comp}/{name}", data)
        unique = {x["path"]: x for x in entries}
        return {"entries": list(unique.values()), "refused": refused}

    def receive_files(self, e):
        s3 = boto3.client("s3")
        received, refused = [], []
        for fid in e["file_ids"]:
            sender = self.files.get((e["sender_org"], fid))
            if sender is None:
                refused.append({"file_id": fid, "reason": "unknown-file"})
                continue
            copy = FakeFile(e["receiver_org"], fid, status="closed", received_by=e["transfer_id"],
                            custody="records_centre")
            for (item, comp), (name, data) in sender.components.items():
                got = s3.get_object(Bucket=e["bucket"],
                                    Key=f"{e['prefix']}/data/files/{fid}/items/{item}/components/{comp}/{name}")
                body = got["Body"].read()
                if _sha(body) != _sha(data):
                    refused.append({"file_id": fid, "reason": "component-corrupt", "component_id": comp})
                    break
                copy.components[(item, comp)] = (name, body)
            else:
                if e["receiver_org"] == e["sender_org"]:
                    sender.custody = "records_centre"
                else:
                    self.files[(e["receiver_org"], fid)] = copy
                received.append(fid)
        return {"received": received, "refused": refused}

    def unreceive_files(self, e):
        for fid in e["file_ids"]:
            f = self.files.get((e["receiver_org"], fid))
            if f is not None and f.received_by == e["transfer_id"] and e["receiver_org"] != e["sender_org"]:
                del self.files[(e["receiver_org"], fid)]
            elif e["receiver_org"] == e["sender_org"]:
                self.files[(e["sender_org"], fid)].custody = None
        return {"unreceived": e["file_ids"]}

    def release_files(self, e):
        for fid in e["file_ids"]:
            f = self.files[(e["org_id"], fid)]
            if f.marked_by == e["transfer_id"] and f.status == "being_transferred":
                if e["receiver_org"] == e["org_id"]:
                    f.status, f.marked_by = f.prior_status, None  # custody changed, the file stays here
                else:
                    f.status = "transferred"
                    f.transferred_to = {"org": e["receiver_org"], "transfer_id": e["transfer_id"]}
        return {"released": e["file_ids"]}


class FakeAudit:
    """audit's export_history (contracts B1): each entity's chain as JSON in the bag."""

    def handler(self, e: dict[str, Any], context: Any) -> dict[str, Any]:
        assert e["step"] == "export_history"
        s3, entries = boto3.client("s3"), []
        for entity in e["entities"]:
            path = f"data/history/{entity['type']}-{entity['id']}.json"
            data = json.dumps({"entity": entity, "events": [{"type": "FileCreated"}], "verified": True}).encode()
            s3.put_object(Bucket=e["bucket"], Key=f"{e['prefix']}/{path}", Body=data)
            entries.append({"path": path, "sha256": _sha(data), "size": len(data)})
        return {"entries": entries}


@dataclass
class FakeBox:
    org_id: str
    box_id: str
    barcode: str
    files: list[str]
    status: str = "shelved"
    prior_status: str | None = None
    transfer_id: str | None = None


class FakeStacks:
    """stacks' transfer steps (contracts B2)."""

    def __init__(self) -> None:
        self.boxes: dict[tuple[str, str], FakeBox] = {}

    def add(self, org_id: str, box_id: str, files: list[str]) -> None:
        self.boxes[(org_id, box_id)] = FakeBox(org_id, box_id, f"BX-{box_id}", files)

    def handler(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return getattr(self, event["step"])(event)

    def transfer_out_boxes(self, e):
        out, kept = [], []
        for box in [b for b in self.boxes.values() if b.org_id == e["org_id"] and set(b.files) & set(e["file_ids"])]:
            if not set(box.files) <= set(e["file_ids"]):
                kept.append({"box_id": box.box_id, "reason": "holds-other-files"})
                continue
            if box.transfer_id != e["transfer_id"]:
                box.prior_status, box.status, box.transfer_id = box.status, "in_transfer", e["transfer_id"]
            out.append({"box_id": box.box_id, "barcode": box.barcode, "files": box.files})
        return {"boxes": out, "kept": kept}

    def cancel_transfer_out(self, e):
        for box in self.boxes.values():
            if box.org_id == e["org_id"] and box.transfer_id == e["transfer_id"] and box.status == "in_transfer":
                box.status, box.transfer_id = box.prior_status, None
        return {}

    def receive_boxes(self, e):
        if e["receiver_org"] != e["sender_org"]:
            for b in e["boxes"]:
                self.boxes[(e["receiver_org"], b["box_id"])] = FakeBox(e["receiver_org"], b["box_id"], b["barcode"],
                                                                      b["files"], "in_transfer",
                                                                      transfer_id=e["transfer_id"])
        return {"boxes": [b["box_id"] for b in e["boxes"]]}

    def unreceive_boxes(self, e):
        for key in [k for k, b in self.boxes.items() if b.org_id == e["receiver_org"] != e["sender_org"]
                    and b.transfer_id == e["transfer_id"]]:
            del self.boxes[key]
        return {}

    def release_boxes(self, e):
        for box in self.boxes.values():
            if box.org_id == e["org_id"] and box.transfer_id == e["transfer_id"] and box.status == "in_transfer" \
                    and box.box_id in e["box_ids"]:
                box.status = "transferred" if e.get("receiver_org") != e["org_id"] else box.prior_status
        return {}
