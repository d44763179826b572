"""Exports: a bag (BagIt, with its EAD3 description) of any selection of the organisation's files, built by
the package saga without marking anything (records packages the files read-only: `export: true`), zipped,
and downloadable by presigned GET. Nothing moves and no file is claimed; held files may be exported (a copy)."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller, require_found
from shared.events import now_iso
from shared.idempotency import derived_id
from shared.problems import NotFound

from ..data import packages as packages_store
from ..data import transfers as store
from ..data import views as views_store
from ..domain import rules
from ..domain.access import professional_org, reader_org
from ..domain.model import EXPORT, Page, Transfer, TransferFile
from ..domain.problems import FilesNotTransferable, StepRefused
from ..integration import workflows
from .common import event, refuse_if, subjects
from .steps import _actor, transfer_of
from .transfers import saga_input


def create_export(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> Transfer:
    org_id = professional_org(caller)
    file_ids = list(dict.fromkeys(body["file_ids"]))
    views, errors = [], []
    for i, file_id in enumerate(file_ids):
        view = views_store.get_file(org_id, file_id, consistent=True)
        if view is None or view.status is None or view.status == "destroyed":
            errors.append({"field": f"file_ids.{i}", "rule": "not-exportable",
                           "message": f"{file_id}: " + ("destroyed" if view and view.status == "destroyed"
                                                        else "no such file in your organisation")})
        else:
            views.append(view)
    refuse_if(errors, FilesNotTransferable)
    stamp, pages = now_iso(), rules.pages(file_ids)
    eid = derived_id(f"export|{org_id}|{caller.user_id}", idempotency_key)
    export = Transfer(org_id=org_id, id=eid, role="sender", kind=EXPORT, sender_org=org_id, receiver_org=org_id,
                      title=body.get("title") or f"Export of {len(file_ids)} files", file_count=len(file_ids),
                      page_count=len(pages), created_by=caller.user_id, created_at=stamp, status="packaging",
                      bucket=packages_store.bucket_name(), prefix=packages_store.export_prefix(org_id, eid),
                      sent_by=caller.user_id, sent_at=stamp, updated_at=stamp)
    files = [TransferFile(sender_org=org_id, transfer_id=eid, file_id=v.id, page=n, title=v.title,
                          producing_unit=v.producing_unit, class_code=v.class_code, retention=v.retention,
                          access=v.access)
             for n, ids in enumerate(pages) for v in views if v.id in ids]
    if store.get_transfer(org_id, eid, consistent=True) is None:
        store.create(export, files, [Page(org_id, eid, n, ids) for n, ids in enumerate(pages)],
                     event("ExportRequested", subjects(export, file_ids), {**export.public(), "file_ids": file_ids},
                           caller.as_actor()), claims=False)
    workflows.start_package(saga_input(export))
    return export


def get_export(caller: Caller, export_id: str) -> tuple[Transfer, dict[str, str] | None]:
    """The export, and once ready the presigned GETs of its zipped bag and its EAD3 description."""
    export = require_found(store.get_transfer(reader_org(caller), export_id), "export")
    if export.kind != EXPORT:
        raise NotFound("No export with that id in your organisation.")
    if export.status != "ready":
        return export, None
    return export, {"bag": packages_store.presign_get(export.bucket, f"{export.prefix}.zip", f"{export.id}.zip"),
                    "ead3": packages_store.presign_get(export.bucket, f"{export.prefix}/ead3.xml",
                                                       f"{export.id}-ead3.xml")}


def finish_export(step: dict[str, Any]) -> dict[str, Any]:
    """The verified bag zipped into one download; the export is ready."""
    export = transfer_of(step)
    if export.status == "ready":
        return {"status": export.status}
    if export.kind != EXPORT or export.status != "packaging":
        raise StepRefused(f"{export.id} is not an export being packaged.")
    sha256, size = packages_store.zip_prefix(export.bucket, export.prefix, f"{export.prefix}.zip")
    after = export.with_changes(status="ready", finished_at=now_iso(), updated_at=now_iso())
    store.save(after, export, [event("ExportReady", subjects(export), {"transfer_id": export.id, "sha256": sha256,
                                                                        "size": size}, _actor(export))])
    return {"status": "ready", "sha256": sha256, "size": size}
