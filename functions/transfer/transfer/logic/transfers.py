"""Transfers by hand: draft one (held files and stale access reviews refused by name), send it (the package
saga), cancel a draft; the receiver inspects (검수) each file and accepts (the acceptance saga); both sides
read it, nobody else."""
from __future__ import annotations

from typing import Any

from shared import clock
from shared.auth import Caller, require_found
from shared.concurrency import require_version
from shared.events import now_iso
from shared.idempotency import derived_id
from shared.observability import correlation_id
from shared.problems import Forbidden

from ..data import packages as packages_store
from ..data import transfers as store
from ..data import views as views_store
from ..domain import rules
from ..domain.access import professional_org, reader_org
from ..domain.model import EXPORT, Inspection, Page, Transfer, TransferFile
from ..domain.problems import (AccessReviewStale, FileHeld, FilesNotTransferable, InspectionIncomplete,
                               TransferStateConflict, UnknownOrganisation)
from ..integration import workflows
from .common import event, file_subject, refuse_if, subjects


# ------------------------------------------------------------------ drafting
def _receiver(org_id: str, body: dict[str, Any]) -> str:
    kind, receiver = body["kind"], body.get("receiver_org")
    if kind == "to_records_centre":
        refuse_if([{"field": "receiver_org", "message": "a transfer to the records centre stays in your organisation"}]
                  if receiver not in (None, org_id) else [])
        return org_id
    refuse_if([{"field": "receiver_org", "message": "required: the permanent archive receiving the files"}]
              if not receiver else
              [{"field": "receiver_org", "message": "the permanent archive is another organisation"}]
              if receiver == org_id else [])
    org = views_store.get_organisation(receiver)
    if org is None or (org.status or "active") != "active" or org.type not in (None, "permanent_archive"):
        why = ("no such organisation (yet)" if org is None else
               f"a {org.type}, not a permanent archive" if org.type != "permanent_archive" else f"{org.status}")
        raise UnknownOrganisation(f"receiver_org: {why}", errors=[{"field": "receiver_org", "message": why,
                                                                    "rule": "unknown-organisation"}])
    return receiver


def _refusals(org_id: str, kind: str, file_ids: list[str]) -> tuple[list, list[dict[str, Any]], type]:
    today = clock.today()
    holds = views_store.active_holds(org_id)
    views, errors, kinds = [], [], set()
    for i, file_id in enumerate(file_ids):
        view = views_store.get_file(org_id, file_id, consistent=True)
        problem = rules.transferable_error(view, kind, views_store.claim_of(org_id, file_id))
        field = f"file_ids.{i}"
        if problem:
            errors.append({"field": field, "message": f"{file_id}: {problem}", "rule": "not-transferable"})
            kinds.add(FilesNotTransferable)
            continue
        if rules.held(holds, file_id, view):
            errors.append({"field": field, "message": f"{file_id}: a hold applies to the file", "rule": "file-held"})
            kinds.add(FileHeld)
        if rules.access_review_stale(view, today):
            errors.append({"field": field, "rule": "access-review-stale",
                           "message": f"{file_id}: access classification last reviewed "
                                      f"{view.access_reviewed_on or 'never'}; reclassify it before the transfer "
                                      "(law art. 35)"})
            kinds.add(AccessReviewStale)
        views.append(view)
    problem = next((k for k in (FileHeld, AccessReviewStale, FilesNotTransferable) if k in kinds),
                   FilesNotTransferable)
    return views, errors, problem


def create_transfer(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> Transfer:
    org_id = professional_org(caller)
    receiver = _receiver(org_id, body)
    file_ids = list(dict.fromkeys(body["file_ids"]))
    views, errors, problem = _refusals(org_id, body["kind"], file_ids)
    refuse_if(errors, problem)
    stamp = now_iso()
    tid = derived_id(f"transfer|{org_id}|{caller.user_id}", idempotency_key)
    pages = rules.pages(file_ids)
    transfer = Transfer(org_id=org_id, id=tid, role="sender", kind=body["kind"], sender_org=org_id,
                        receiver_org=receiver, title=body.get("title") or f"{body['kind']} {clock.today().isoformat()}",
                        file_count=len(file_ids), page_count=len(pages), created_by=caller.user_id, created_at=stamp,
                        updated_at=stamp)
    files = [TransferFile(sender_org=org_id, transfer_id=tid, file_id=v.id, page=n, title=v.title,
                          producing_unit=v.producing_unit, class_code=v.class_code, retention=v.retention,
                          access=v.access)
             for n, ids in enumerate(pages) for v in views if v.id in ids]
    store.create(transfer, files, [Page(org_id, tid, n, ids) for n, ids in enumerate(pages)],
                 event("TransferCreated", subjects(transfer, file_ids),
                       {**transfer.public(), "file_ids": file_ids}, caller.as_actor()))
    return transfer


# ---------------------------------------------------------------------- reads
def _own(org_id: str, transfer_id: str, consistent: bool = False) -> Transfer:
    return require_found(store.get_transfer(org_id, transfer_id, consistent), "transfer")


def get_transfer(caller: Caller, transfer_id: str) -> Transfer:
    return _own(reader_org(caller), transfer_id)


def list_transfers(caller: Caller, status: str | None, role: str | None, limit: int, cursor: str | None):
    return store.list_transfers(reader_org(caller), limit, cursor, status, role)


def list_files(caller: Caller, transfer_id: str, limit: int, cursor: str | None):
    transfer = _own(reader_org(caller), transfer_id)
    return store.list_files(transfer.sender_org, transfer.id, limit, cursor)


# -------------------------------------------------------------------- changes
def _expect(transfer: Transfer, role: str, status: str, action: str) -> None:
    if transfer.role != role and transfer.sender_org != transfer.receiver_org:
        raise Forbidden(f"Only the {role} of a transfer does this.")
    if transfer.status != status:
        raise TransferStateConflict(f"The transfer is {transfer.status}; {action} needs it {status.replace('_', ' ')}.")


def saga_input(transfer: Transfer) -> dict[str, Any]:
    return {"org_id": transfer.sender_org, "receiver_org": transfer.receiver_org, "sender_org": transfer.sender_org,
            "transfer_id": transfer.id, "kind": transfer.kind, "bucket": transfer.bucket, "prefix": transfer.prefix,
            "export": transfer.kind == EXPORT, "correlation_id": correlation_id()}


def send(caller: Caller, transfer_id: str, expected_version: int) -> Transfer:
    """draft → packaging, and the package saga starts (a repeated send of a packaging transfer starts nothing
    twice: the execution is named after the transfer)."""
    org_id = professional_org(caller)
    before = _own(org_id, transfer_id, consistent=True)
    require_version(before, expected_version, "transfer")
    if before.status == "packaging" and before.role == "sender":
        workflows.start_package(saga_input(before), before.package_attempts)
        return before
    _expect(before, "sender", "draft", "sending")
    after = before.with_changes(status="packaging", sent_by=caller.user_id, sent_at=now_iso(),
                                bucket=packages_store.bucket_name(),
                                prefix=packages_store.bag_prefix(before.sender_org, before.id), updated_at=now_iso())
    after = store.save(after, before, [event("TransferSent", subjects(after), {"transfer_id": after.id,
                                                                              "status": after.status},
                                             caller.as_actor())])
    workflows.start_package(saga_input(after))
    return after.copy_for(org_id, before.role)


def cancel(caller: Caller, transfer_id: str, expected_version: int) -> Transfer:
    """A draft withdrawn: its files are free for another transfer."""
    org_id = professional_org(caller)
    before = _own(org_id, transfer_id, consistent=True)
    require_version(before, expected_version, "transfer")
    _expect(before, "sender", "draft", "cancelling")
    after = store.save(before.with_changes(status="cancelled", finished_at=now_iso(), updated_at=now_iso()), before,
                       [event("TransferCancelled", subjects(before), {"transfer_id": before.id},
                              caller.as_actor())])
    store.release_claims(before.sender_org, before.id, (f.file_id for f in store.iter_files(before.sender_org,
                                                                                             before.id)))
    return after.copy_for(org_id, before.role)


def inspect(caller: Caller, transfer_id: str, file_id: str, body: dict[str, Any],
            expected_version: int) -> TransferFile:
    """The receiver's word on one file of a verified package: accept, or reject with a reason."""
    org_id = professional_org(caller)
    transfer = _own(org_id, transfer_id, consistent=True)
    _expect(transfer, "receiver", "awaiting_inspection", "inspection")
    refuse_if([{"field": "reason", "message": "required to reject a file"}]
              if body["outcome"] == "reject" and not body.get("reason") else [])
    before = require_found(store.get_file(transfer.sender_org, transfer.id, file_id, consistent=True), "file")
    require_version(before, expected_version, "transfer file")
    inspection = Inspection(body["outcome"], body.get("reason"), caller.user_id, now_iso())
    return store.save_file(before.with_changes(inspection=inspection), before,
                           event("FileInspected", [*subjects(transfer), file_subject(transfer.receiver_org, file_id)],
                                 {"transfer_id": transfer.id, "file_id": file_id, "outcome": inspection.outcome,
                                  "reason": inspection.reason}, caller.as_actor()))


def accept(caller: Caller, transfer_id: str, expected_version: int) -> Transfer:
    """awaiting_inspection → accepting once every file has the receiver's word; the acceptance saga starts."""
    org_id = professional_org(caller)
    before = _own(org_id, transfer_id, consistent=True)
    require_version(before, expected_version, "transfer")
    _expect(before, "receiver", "awaiting_inspection", "acceptance")
    accepted = rejected = 0
    missing: list[dict[str, Any]] = []
    for f in store.iter_files(before.sender_org, before.id):
        if f.inspection is None:
            missing.append({"field": f"files.{f.file_id}", "message": f"{f.file_id}: not inspected yet"})
        elif f.inspection.outcome == "accept":
            accepted += 1
        else:
            rejected += 1
    refuse_if(missing, InspectionIncomplete)
    after = store.save(before.with_changes(status="accepting", accepted_count=accepted, rejected_count=rejected,
                                           accepted_by=caller.user_id, accept_attempts=before.accept_attempts + 1,
                                           error=None, updated_at=now_iso()), before,
                       [event("TransferAcceptanceStarted", subjects(before),
                              {"transfer_id": before.id, "accepted": accepted, "rejected": rejected},
                              caller.as_actor())])
    workflows.start_accept(saga_input(after), after.accept_attempts)
    return after.copy_for(org_id, before.role)
