"""The bag: `finish_bag` (as the sender) writes its tag files around the payload records and audit wrote;
`verify_bag` (as the receiver) checks it from the bag alone: every tag file against the tag manifest, the
Payload-Oxum against the payload, every payload file present with the SHA-256 the manifest says. A mismatch
names the file, and the transfer stops. `verify_at_intake` checks it once more when the receiver accepts.

Both stream: the manifest from the entries kept page by page in the table, the EAD3 description into a
temporary file (validated lazily, then uploaded), every payload object hashed a chunk at a time, a bounded
number at once; memory does not grow with the bag.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
import os
import tempfile
from typing import Any, Iterator

from shared.events import now_iso

from ..data import packages as packages_store
from ..data import transfers as store
from ..domain import bag, ead
from ..domain.model import EXPORT
from ..domain.problems import BagInvalid, DescriptionInvalid, StepRefused
from .common import event, subjects
from .steps import _actor, _page_files, transfer_of

HASHERS = 8  # objects hashed at once while verifying
BATCH = 64  # manifest lines read ahead of the hashers
MOST_PROBLEMS = 20


def _outline(transfer, number: int, paths: list[tuple[str, int]]) -> Iterator[ead.FileDescription]:
    """The EAD3 components of one page: its files (as transfer recorded them) with their items and components."""
    outline: dict[str, ead.FileDescription] = {}
    for f in _page_files(transfer, number):
        outline[f.file_id] = ead.FileDescription(f.file_id, f.title, f.producing_unit, f.class_code, f.retention,
                                                 f.access)
    for path, size in paths:
        ead.add_entry(outline, path, size)
    yield from outline.values()


def write_bag(transfer, bucket: str, prefix: str, extra_info: list[tuple[str, str]] = ()) -> dict[str, Any]:
    """The tag files of a bag whose payload is in place and whose entries the table holds."""
    manifest = packages_store.Writer(bucket, f"{prefix}/{bag.MANIFEST}")
    octets = count = 0
    meta = {"transfer_id": transfer.id, "title": transfer.title, "sender_org": transfer.sender_org,
            "receiver_org": transfer.receiver_org, "kind": transfer.kind, "created_at": now_iso(),
            "file_count": transfer.file_count}
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False, encoding="utf-8") as description:
        description.write(ead.header(meta))
        current, paths = None, []
        for number, entry in store.iter_entries(transfer.sender_org, transfer.id):
            if number != current and current is not None:
                description.writelines(ead.file_component(f) for f in _outline(transfer, current, paths))
                paths = []
            current = number
            paths.append((entry.path, entry.size))
            manifest.write(bag.manifest_line(entry.sha256, entry.path))
            octets, count = octets + entry.size, count + 1
        if current is not None:
            description.writelines(ead.file_component(f) for f in _outline(transfer, current, paths))
        description.write(ead.FOOTER)
    try:
        invalid = ead.errors(description.name)
        if invalid:
            raise DescriptionInvalid("The EAD3 description is not valid: " + "; ".join(invalid))
        tags = {bag.MANIFEST: manifest.close(),
                bag.DESCRIPTION: packages_store.upload_file(bucket, f"{prefix}/{bag.DESCRIPTION}", description.name,
                                                            "application/xml")}
    finally:
        os.unlink(description.name)
    oxum = bag.payload_oxum(octets, count)
    info = bag.bag_info([("Source-Organization", transfer.sender_org), ("External-Identifier", transfer.id),
                         ("External-Description", transfer.title), ("Bagging-Date", now_iso()[:10]),
                         ("Payload-Oxum", oxum), *extra_info])
    tags[bag.BAGIT] = packages_store.put_text(bucket, f"{prefix}/{bag.BAGIT}", bag.BAGIT_TXT)
    tags[bag.BAG_INFO] = packages_store.put_text(bucket, f"{prefix}/{bag.BAG_INFO}", info)
    packages_store.put_text(bucket, f"{prefix}/{bag.TAG_MANIFEST}",
                            "".join(bag.manifest_line(tags[name][0], name) for name in bag.TAG_FILES))
    return {"payload_oxum": oxum, "files": count}


def finish_bag(step: dict[str, Any]) -> dict[str, Any]:
    transfer = transfer_of(step)
    if transfer.status != "packaging":
        raise StepRefused(f"The transfer is {transfer.status}, not packaging.")
    return write_bag(transfer, transfer.bucket, transfer.prefix,
                     [("Internal-Sender-Identifier", transfer.id), ("Transfer-Kind", transfer.kind),
                      ("Receiver-Organization", transfer.receiver_org)])


# ------------------------------------------------------------------- verify
def bag_problems(bucket: str, prefix: str) -> tuple[list[str], str | None]:
    """Everything wrong with the bag at `prefix` (at most MOST_PROBLEMS named), and its Payload-Oxum."""
    problems: list[str] = []
    if "BagIt-Version" not in (packages_store.read_text(bucket, f"{prefix}/{bag.BAGIT}") or ""):
        problems.append(f"{bag.BAGIT}: missing or not a BagIt declaration")
    tag_lines = packages_store.iter_lines(bucket, f"{prefix}/{bag.TAG_MANIFEST}")
    if tag_lines is None:
        problems.append(f"{bag.TAG_MANIFEST}: missing")
    else:
        for line in tag_lines:
            sha256, path = bag.parse_manifest_line(line)
            wrong = bag.entry_error(path, sha256, packages_store.hash_object(bucket, f"{prefix}/{path}"))
            if wrong:
                problems.append(wrong)
    info = bag.parse_bag_info(packages_store.read_text(bucket, f"{prefix}/{bag.BAG_INFO}") or "")
    lines = packages_store.iter_lines(bucket, f"{prefix}/{bag.MANIFEST}")
    if lines is None:
        return problems + [f"{bag.MANIFEST}: missing"], info.get("Payload-Oxum")
    octets = count = 0

    def check(line: str) -> tuple[str | None, int]:
        sha256, path = bag.parse_manifest_line(line)
        if not bag.safe_path(path):
            return f"{path}: not a payload path", 0
        found = packages_store.hash_object(bucket, f"{prefix}/{path}")
        return bag.entry_error(path, sha256, found), found[1] if found else 0

    with ThreadPoolExecutor(HASHERS) as pool:
        for batch in _batches(lines, BATCH):
            for wrong, size in pool.map(check, batch):
                count += 1
                octets += size
                if wrong and len(problems) < MOST_PROBLEMS:
                    problems.append(wrong)
    in_bag = packages_store.tally(bucket, f"{prefix}/data/")
    if in_bag[1] != count:
        problems.append(f"data/: {in_bag[1]} files in the bag, {count} in the manifest"
                        + _extras(bucket, prefix, in_bag[1] - count))
    said = info.get("Payload-Oxum")
    if said != bag.payload_oxum(*in_bag):
        problems.append(f"{bag.BAG_INFO}: Payload-Oxum {said}, the payload is {bag.payload_oxum(*in_bag)}")
    return problems, said


def _batches(lines: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _extras(bucket: str, prefix: str, more: int) -> str:
    """Name the payload files no manifest line lists (only when there are some: then the paths are held)."""
    if more <= 0:
        return ""
    listed = {bag.parse_manifest_line(line)[1] for line in packages_store.iter_lines(bucket, f"{prefix}/{bag.MANIFEST}")}
    extra = [k.removeprefix(prefix + "/") for k in packages_store.iter_keys(bucket, f"{prefix}/data/")
             if k.removeprefix(prefix + "/") not in listed]
    return " (not in the manifest: " + ", ".join(extra[:MOST_PROBLEMS]) + ")"


def _refuse(transfer, problems: list[str], why: str) -> None:
    """The files the problems name marked `failed_verification`; the step refused, naming every problem."""
    named = {p.split("/")[2] for p in problems if p.startswith("data/files/") and len(p.split("/")) > 3}
    for number in range(transfer.page_count):
        store.set_states([f for f in _page_files(transfer, number) if f.file_id in named], "failed_verification")
    raise BagInvalid(why + "; ".join(problems))


def verify_bag(step: dict[str, Any]) -> dict[str, Any]:
    """As the receiver: the bag, checked from itself alone. Valid: the package awaits inspection. Not: the
    files named are marked, and the step is refused naming them."""
    transfer = transfer_of(step)
    if transfer.status == "awaiting_inspection":
        return {"status": transfer.status, "payload_oxum": transfer.payload_oxum}
    if transfer.status != "packaging":
        raise StepRefused(f"The transfer is {transfer.status}, not packaging.")
    problems, oxum = bag_problems(transfer.bucket, transfer.prefix)
    if problems:
        _refuse(transfer, problems, "The bag failed verification: ")
    if transfer.kind == EXPORT:  # checked like any bag; finish_export makes it ready
        return {"status": transfer.status, "payload_oxum": oxum}
    for number in range(transfer.page_count):
        store.set_states([f for f in _page_files(transfer, number) if f.state != "verified"], "verified")
    after = transfer.with_changes(status="awaiting_inspection", verified_at=now_iso(), payload_oxum=oxum,
                                  updated_at=now_iso())
    store.save(after, transfer, [event("TransferPackageVerified", subjects(transfer),
                                       {"transfer_id": transfer.id, "status": after.status, "payload_oxum": oxum},
                                       _actor(transfer))])
    return {"status": after.status, "payload_oxum": oxum}


def verify_at_intake(step: dict[str, Any]) -> dict[str, Any]:
    """As the receiver takes the package in (the acceptance saga's first step, before anything is received): the
    bag checked again from itself alone, as after packaging. It may have been damaged since (in storage, in
    transit); then the files named are marked `failed_verification` and the step is refused naming each path
    and both SHA-256s (the saga gives every file back to the sender and fails the transfer)."""
    transfer = transfer_of(step)
    if transfer.status != "accepting":
        raise StepRefused(f"The transfer is {transfer.status}, not accepting.")
    problems, _ = bag_problems(transfer.bucket, transfer.prefix)
    if problems:
        _refuse(transfer, problems, "The bag failed verification at intake: ")
    return {"status": transfer.status}
