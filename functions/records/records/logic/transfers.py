"""Records' saga steps of a transfer (이관, issue 11; contract B1). Each takes a page of at most 25 file ids,
is idempotent per transfer (a retry answers the same and emits nothing twice), and refuses one file inside a
page in its answer (`refused` / `skipped`, with a reason), never by failing the page.

    mark_for_transfer     closed / under_review → being_transferred (prior_status kept)       RecordsTasksFunction
    unmark_for_transfer   back to prior_status (compensation; nothing to undo is fine)      RecordsTasksFunction
    package_files         the files' documents and components into the package            RecordsTransferFunction
    receive_files         the receiver's copy of each file (or, within one organisation, the records centre's custody)
    unreceive_files       removes what receive_files made (compensation)
    release_files         the sender's files transferred (irreversible, last); the receiver's copies locked

The steps that touch the package bucket or write component bytes run on `RecordsTransferFunction`, the only
records role allowed to (least privilege); marking needs the table alone. Components are copied as streams in
parts and hashed while copied (data/transfers.py): a SHA-256 other than the recorded one refuses the file
(`component-corrupt`, naming the component) when packaging, and again when receiving from the package.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

from shared.events import DomainEvent, now_iso, system_actor
from shared.problems import Conflict, PreconditionFailed
from shared.tasks import InvalidTaskInput, retrying

from ..data import files as files_store
from ..data import transfers as store
from ..domain import components as component_rules
from ..domain import transfers as rules
from ..domain.model import RecordFile
from .common import event, subjects_of
from .components import lock_days

ATTEMPTS = 5


class TransferReleased(Exception):
    """An undo asked after the transfer was released (irreversible): nothing is undone."""


# ------------------------------------------------------------------ input
def _input(step: dict[str, Any], *names: str) -> list[Any]:
    missing = [n for n in names if not step.get(n)]
    if missing:
        raise InvalidTaskInput(f"{step.get('step')} needs {', '.join(missing)}")
    file_ids = step.get("file_ids")
    if "file_ids" in names and (not isinstance(file_ids, list) or len(file_ids) > rules.PAGE
                                or not all(isinstance(f, str) and f for f in file_ids)):
        raise InvalidTaskInput(f"file_ids: a page of at most {rules.PAGE} file ids")
    return [step[n] for n in names]


def _package(step: dict[str, Any]) -> tuple[str, str]:
    bucket, prefix = step.get("bucket"), step.get("prefix")
    if not bucket or not isinstance(prefix, str):
        raise InvalidTaskInput(f"{step.get('step')} needs bucket and prefix")
    if bucket != store.transfer_bucket():
        raise InvalidTaskInput(f"bucket: packages live in {store.transfer_bucket()!r}, not {bucket!r}")
    return bucket, prefix


def _actor(org_id: str, step: dict[str, Any], transfer_id: str) -> dict[str, Any]:
    return system_actor(org_id, transfer_id=transfer_id, execution_id=step.get("execution_id"))


def _status_changed(after: RecordFile, previous: str, actor: dict[str, Any]) -> DomainEvent:
    return event("FileStatusChanged", subjects_of(after), {"file_id": after.id, "status": after.status,
                                                           "previous": previous, "transfer_id": after.transfer_id},
                 actor)


def _one(org_id: str, file_id: str, decide: Callable[[RecordFile | None], Any]) -> Any:
    """Read the file, decide, write; on a lost race (the file changed meanwhile) read and decide again."""
    def attempt():
        return decide(files_store.get_file(org_id, file_id, consistent=True))
    return retrying(attempt, attempts=ATTEMPTS, lost=(PreconditionFailed,),
                    contended=f"file {file_id} kept changing")


def _page(file_ids: list[str], outcome: Callable[[str], str | dict[str, Any] | None], done: str,
          refused: str) -> dict[str, Any]:
    """Each file of the page once: an outcome of None lists it under `done`, a reason (or a dict with one)
    under `refused`."""
    ok, no = [], []
    for file_id in dict.fromkeys(file_ids):
        result = outcome(file_id)
        if result is None:
            ok.append(file_id)
        else:
            no.append({"file_id": file_id, **({"reason": result} if isinstance(result, str) else result)})
    return {done: ok, refused: no}


# ------------------------------------------------------------------ marking
def mark_for_transfer(step: dict[str, Any]) -> dict[str, Any]:
    org_id, transfer_id, file_ids = _input(step, "org_id", "transfer_id", "file_ids")
    actor = _actor(org_id, step, transfer_id)

    def decide(file: RecordFile | None) -> str | None:
        reason = rules.mark_refusal(file, transfer_id)
        if reason is None and not rules.marked_by(file, transfer_id):
            after = rules.marked(file, transfer_id, now_iso())
            store.save_files([(after, file, [_status_changed(after, file.status, actor)])])
        return reason

    return _page(file_ids, lambda file_id: _one(org_id, file_id, decide), "marked", "refused")


def unmark_for_transfer(step: dict[str, Any]) -> dict[str, Any]:
    """Back to the status each file had; only files this transfer marked; nothing to undo is fine."""
    org_id, transfer_id, file_ids = _input(step, "org_id", "transfer_id", "file_ids")
    actor = _actor(org_id, step, transfer_id)

    def decide(file: RecordFile | None) -> str | None:
        if file is not None and rules.marked_by(file, transfer_id):
            after = rules.unmarked(file, now_iso())
            store.save_files([(after, file, [_status_changed(after, file.status, actor)])])
            return None
        return None if file is not None and rules.was_unmarked(file, transfer_id) else "nothing-to-undo"

    return {"unmarked": _page(file_ids, lambda file_id: _one(org_id, file_id, decide), "unmarked", "-")["unmarked"]}


# ------------------------------------------------------------------ packaging
def package_files(step: dict[str, Any]) -> dict[str, Any]:
    """Each file this transfer marked, into the package: its components (streamed, verified), each item's
    document, then its own. A refused file leaves nothing in the package. With `export: true` (transfer's
    exports: a bag of any selection, nothing leaves) the files are read as they are, unmarked, and not
    changed. """
    org_id, transfer_id, file_ids = _input(step, "org_id", "transfer_id", "file_ids")
    bucket, prefix = _package(step)
    export = step.get("export") is True
    entries, refused = [], []
    for file_id in dict.fromkeys(file_ids):
        file = files_store.get_file(org_id, file_id, consistent=True)
        if file is None or (not export and not rules.marked_by(file, transfer_id)):
            refused.append({"file_id": file_id, "reason": rules.UNKNOWN if file is None else rules.NOT_MARKED})
            continue
        written: list[str] = []
        try:
            entries += _package_file(file, bucket, prefix, written)
        except (store.Corrupt, store.Missing) as exc:
            store.delete_keys(bucket, written)
            refused.append(_corrupt(file_id, exc))
    return {"entries": entries, "refused": refused}


def _corrupt(file_id: str, exc: Exception) -> dict[str, Any]:
    component_id = getattr(exc, "component_id", None)
    detail = (f"component {component_id}: its recorded SHA-256 is not that of its bytes ({exc})"
              if isinstance(exc, store.Corrupt) else f"component {component_id}: its captured bytes are missing")
    return {"file_id": file_id, "reason": rules.CORRUPT, "component_id": component_id, "detail": detail}


def _package_file(file: RecordFile, bucket: str, prefix: str, written: list[str]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    by_item = defaultdict(list)
    for component in store.components_of(file.org_id, file.id):
        by_item[component.item_id].append(component)
    for item in files_store.all_items(file.org_id, file.id):
        components = by_item.get(item.id, [])
        for component in components:
            path = rules.component_path(file.id, item.id, component.id, component.filename)
            key = rules.key_in(prefix, path)
            written.append(key)
            if store.stored_sha256(bucket, key) != (component.sha256, component.size):
                try:
                    store.stream_copy((store.records_bucket(), component.object_key, component.object_version),
                                      (bucket, key), component.sha256, component.media_type,
                                      {"sha256": component.sha256})
                except (store.Corrupt, store.Missing) as exc:
                    exc.component_id = component.id  # type: ignore[attr-defined]
                    raise
            entries.append({"path": path, "sha256": component.sha256, "size": component.size})
        entries.append(_document(bucket, prefix, rules.item_path(file.id, item.id),
                                 rules.item_document(file.id, item, components), written))
    entries.append(_document(bucket, prefix, rules.file_path(file.id), rules.file_document(file), written))
    return entries


def _document(bucket: str, prefix: str, path: str, doc: dict[str, Any], written: list[str]) -> dict[str, Any]:
    key = rules.key_in(prefix, path)
    written.append(key)
    sha, size = store.put_document(bucket, key, doc)
    return {"path": path, "sha256": sha, "size": size}


# ------------------------------------------------------------------ receiving
def receive_files(step: dict[str, Any]) -> dict[str, Any]:
    receiver, sender, transfer_id, file_ids = _input(step, "receiver_org", "sender_org", "transfer_id", "file_ids")
    bucket, prefix = _package(step)
    actor = _actor(receiver, step, transfer_id)

    def outcome(file_id: str) -> dict[str, Any] | None:
        if receiver == sender:
            return _one(receiver, file_id, lambda f: _to_records_centre(f, transfer_id, actor))
        return _receive(receiver, sender, transfer_id, file_id, bucket, prefix, actor)

    return _page(file_ids, outcome, "received", "refused")


def _to_records_centre(file: RecordFile | None, transfer_id: str, actor: dict[str, Any]) -> dict[str, Any] | None:
    if file is None:
        return {"reason": rules.UNKNOWN}
    if rules.received_by(file, transfer_id):
        return None
    if not rules.marked_by(file, transfer_id):
        return {"reason": rules.NOT_MARKED}
    after = rules.in_records_centre(file, transfer_id, now_iso())
    store.save_files([(after, file, [_custody_changed(after, file, actor)])])
    return None


def _custody_changed(after: RecordFile, before: RecordFile, actor: dict[str, Any]) -> DomainEvent:
    return event("FileCustodyChanged", subjects_of(after), {
        "file_id": after.id, "custody": after.public()["custody"], "previous": before.public()["custody"],
        "transfer_id": after.transfer_id}, actor)


def _receive(receiver: str, sender: str, transfer_id: str, file_id: str, bucket: str, prefix: str,
             actor: dict[str, Any]) -> dict[str, Any] | None:
    """The receiver's file from the package: components copied and verified first, then items and components
    in the table, the file (with FileReceived) last, so a retry after any failure finds where it stopped."""
    existing = files_store.get_file(receiver, file_id, consistent=True)
    if existing is not None:
        return None if rules.received_by(existing, transfer_id) else {"reason": rules.TAKEN}
    doc = store.get_document(bucket, rules.key_in(prefix, rules.file_path(file_id)))
    if doc is None:
        return {"reason": rules.NOT_IN_PACKAGE}
    original = files_store.get_file(sender, file_id, consistent=True)
    if original is None or not rules.marked_by(original, transfer_id):  # given back to the sender meanwhile
        return {"reason": rules.NOT_MARKED, "detail": "the sender's file is no longer marked for this transfer"}
    at = now_iso()
    try:
        file = rules.received_file(doc, receiver, transfer_id, at)
        if file.id != file_id or doc.get("organisation") != sender:
            raise rules.BadDocument("file.json names another file or organisation")
        if file.reference and store.reference_holder(receiver, file.reference) not in (None, file_id):
            raise _Refused(rules.REFERENCE_TAKEN, f"reference {file.reference}")
        items, components = [], []
        for key in store.keys_under(bucket, rules.key_in(prefix, rules.items_prefix(file_id)), "/item.json"):
            item_doc = store.get_document(bucket, key) or {}
            item = rules.received_item(item_doc, receiver, file_id, at)
            if store.number_holder(receiver, item.registration_number) not in (None, file_id):
                raise _Refused(rules.NUMBER_TAKEN, f"registration number {item.registration_number}")
            for listed in rules.package_components(item_doc):
                components.append(_receive_component(listed, item, bucket, prefix, at))
            items.append(item)
    except rules.BadDocument as exc:
        _clear(receiver, file_id)
        return {"reason": rules.UNREADABLE, "detail": str(exc)}
    except _Refused as refusal:
        _clear(receiver, file_id)
        return {"reason": refusal.reason, "detail": refusal.detail}
    except (store.Corrupt, store.Missing) as exc:
        _clear(receiver, file_id)
        return {k: v for k, v in _corrupt(file_id, exc).items() if k != "file_id"}
    try:
        store.put_contents(items, components)
        store.add_received_file(file, [event("FileReceived", subjects_of(file), {
            "file_id": file.id, "transfer_id": transfer_id, "sender_org": sender, "title": file.title,
            "producing_unit": file.producing_unit, "class_code": file.class_code, "status": file.status,
            "closed_on": file.closed_on, "production_year": file.production_year, "retention": file.retention,
            "action": file.action, "disposal_due": file.disposal_due, "access": file.access.classification,
            "custody": file.custody, "items": len(items), "components": len(components)}, actor)])
    except (store.NumberTaken, store.ReferenceTaken) as exc:  # claimed meanwhile by the receiver's own registration
        _clear(receiver, file_id)
        reason = rules.NUMBER_TAKEN if isinstance(exc, store.NumberTaken) else rules.REFERENCE_TAKEN
        return {"reason": reason, "detail": str(exc)}
    except Conflict:
        latest = files_store.get_file(receiver, file_id, consistent=True)  # a concurrent retry finished first
        if latest is None or not rules.received_by(latest, transfer_id):
            raise
    return None


class _Refused(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def _receive_component(listed: dict[str, Any], item, bucket: str, prefix: str, at: str):
    """The receiver's verified copy of one component (kept from an earlier attempt when already recorded)."""
    path = rules.component_path(item.file_id, item.id, listed["id"], listed["filename"])
    target = component_rules.object_key(item.org_id, item.file_id, item.id, listed["id"])
    recorded = store.recorded_component(item.org_id, item.file_id, item.id, listed["id"], consistent=True)
    if recorded is not None and recorded.sha256 == listed["sha256"]:
        return recorded
    try:
        version, _ = store.stream_copy((bucket, rules.key_in(prefix, path), None), (store.records_bucket(), target),
                                       listed["sha256"], listed["media_type"])
    except (store.Corrupt, store.Missing) as exc:
        exc.component_id = listed["id"]  # type: ignore[attr-defined]
        raise
    store.delete_versions(target, keep=(target, version))  # strays of an earlier attempt
    return rules.received_component(listed, item, target, version, at)


def _clear(org_id: str, file_id: str) -> None:
    """Everything a receipt of the file made at the receiver but the file itself: copies, items, components."""
    store.delete_versions(component_rules.object_key(org_id, file_id, "", "")[:-1], exact=False)
    store.remove_contents(org_id, file_id)


def unreceive_files(step: dict[str, Any]) -> dict[str, Any]:
    """Compensation: what receive_files made for this transfer is removed (copies, items, components, the file,
    with FileReceiptReverted); within one organisation the custody goes back. `unreceived`: the files of the
    page of which nothing this transfer received is left; `skipped`: files the receiver holds otherwise."""
    receiver, sender, transfer_id, file_ids = _input(step, "receiver_org", "sender_org", "transfer_id", "file_ids")
    actor = _actor(receiver, step, transfer_id)

    def outcome(file_id: str) -> str | None:
        if receiver == sender:
            return _one(receiver, file_id, lambda f: _custody_back(f, transfer_id, actor))
        return _unreceive(receiver, sender, transfer_id, file_id, actor)

    return _page(file_ids, outcome, "unreceived", "skipped")


def _custody_back(file: RecordFile | None, transfer_id: str, actor: dict[str, Any]) -> str | None:
    if file is None or not rules.received_by(file, transfer_id):
        return None
    if not rules.marked_by(file, transfer_id):
        raise TransferReleased(f"File {file.id} was released to the records centre by {transfer_id}.")
    after = rules.custody_undone(file, now_iso())
    store.save_files([(after, file, [_custody_changed(after, file, actor)])])
    return None


def _unreceive(receiver: str, sender: str, transfer_id: str, file_id: str, actor: dict[str, Any]) -> str | None:
    original = files_store.get_file(sender, file_id, consistent=True)
    if original is not None and rules.was_released(original, transfer_id, receiver):
        raise TransferReleased(f"File {file_id} was released to {receiver} by {transfer_id}: nothing is undone.")
    file = files_store.get_file(receiver, file_id, consistent=True)
    if file is not None and not rules.received_by(file, transfer_id):
        return rules.NOT_RECEIVED  # the receiver's own file of that id: not this transfer's to remove
    try:
        _clear(receiver, file_id)
    except store.Undeletable as exc:
        raise TransferReleased(f"File {file_id}'s copies at {receiver} are locked ({exc}).") from None
    if file is not None:
        store.remove_received_file(file, [event("FileReceiptReverted", subjects_of(file), {
            "file_id": file_id, "transfer_id": transfer_id, "sender_org": sender}, actor)])
    return None


# ------------------------------------------------------------------ release
def release_files(step: dict[str, Any]) -> dict[str, Any]:
    """Irreversible, last: the receiver's copies locked as any captured component is, then each sender file
    `transferred` (the residual transfer record; within one organisation: back to its prior status, in the
    records centre's custody) with FileStatusChanged and FileTransferred. Only files the receiver received."""
    org_id, transfer_id, file_ids, receiver = _input(step, "org_id", "transfer_id", "file_ids", "receiver_org")
    actor = _actor(org_id, step, transfer_id)

    def decide(file: RecordFile | None) -> str | None:
        if file is None:
            return rules.UNKNOWN
        if rules.was_released(file, transfer_id, receiver):
            return None
        if not rules.marked_by(file, transfer_id):
            return rules.NOT_MARKED
        copy = file if receiver == org_id else files_store.get_file(receiver, file.id, consistent=True)
        if copy is None or not rules.received_by(copy, transfer_id):
            return rules.NOT_RECEIVED
        if receiver != org_id:
            until = store.lock_until(copy.custody["since"], lock_days())
            for component in store.components_of(receiver, file.id):
                store.lock(component.object_key, component.object_version, until)
        at = now_iso()
        after = rules.released(file, receiver, at)
        kind = "to_records_centre" if receiver == org_id else "to_archive"
        store.save_files([(after, file, [
            _status_changed(after, file.status, actor),
            event("FileTransferred", subjects_of(after), {"file_id": file.id, "transfer_id": transfer_id,
                                                          "kind": kind, "receiver_org": receiver, "at": at}, actor)])])
        return None

    return _page(file_ids, lambda file_id: _one(org_id, file_id, decide), "released", "skipped")
