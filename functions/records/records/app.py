"""Records' HTTP routes: parse, call one logic function, shape the reply.

  /records/classes                                   the classes (unit tasks) files are filed under
  /records/files[/{file_id}]                         file (기록물철), list, read, describe
  /records/files/{file_id}/close                     open → closed: production year and due dates
  /records/files/{file_id}/retention | /rule         an archivist's override, a newer rule re-applied
  /records/files/{file_id}/access                    reclassify (공개구분), with a reason
  /records/files/{file_id}/description               the file, its items and boxes as one JSON document
  /records/files/{file_id}/items[/{item_id}[/access]] items (기록물건): register, list (JSON, CSV), describe
  /records/access-reviews[/{review_id}[/complete]]   re-reviews of non-public files, every 5 years
  /records/imports                                   bulk registration of files and items (202, a long job)
  /records/jobs[/{job_id}[/errors]]                  the jobs, their progress and rejected rows
  /records/files/{file_id}/items/{item_id}/components[/uploads...]   digital components: upload, verify, download
  /records/fixity/runs | /follow-ups                 fixity: each run's report, what failed checks left to do
"""
from __future__ import annotations


from shared.http import Api, Reply, RequestContext, path_ids, file_reply, page
from shared.pagination import PAGE
from shared.problems import ValidationFailed

from . import logic, schemas

api = Api("records")
app = api.app
_id = path_ids(schemas.ID)



def _csv_export(ctx: RequestContext) -> bool:
    """`format=csv` is the whole selection: it takes no limit or cursor."""
    if ctx.query["format"] != "csv":
        return False
    paging = [name for name in ("cursor", "limit") if ctx.raw_query.get(name)]
    if paging:
        raise ValidationFailed("format=csv exports every matching row; it takes no limit or cursor.",
                               errors=[{"field": name, "message": "not with format=csv"} for name in paging])
    return True


# -------------------------------------------------------------------- classes
@api.route("/records/classes", "GET", summary="List the classes to file under", response=schemas.UNIT_TASK_PAGE,
           query=(*PAGE, schemas.SCHEME_VERSION), errors=(403, 404))
def list_classes(ctx: RequestContext) -> Reply:
    """The unit tasks (단위과제) of the organisation's current usable scheme version, with their disposal rules, as
    records knows them from classification's events (404 until a version is usable)."""
    return page(*logic.list_classes(ctx.require_caller(), ctx.query["scheme_version"], ctx.query["limit"],
                                    ctx.query["cursor"]))


# ---------------------------------------------------------------------- files
@api.route("/records/files", "POST", summary="File a record file", response=schemas.FILE, status=201,
           body=schemas.CREATE_FILE, idempotent=True, etag=True, errors=(403, 422))
def create_file(ctx: RequestContext) -> Reply:
    """Archivists and admins. The file (기록물철) is filed under a unit task of the current usable scheme version
    and carries that class's rule (retention, action, default access), so closing it later needs nothing from
    another capability. An unknown class is a 422 naming `class_code`."""
    file = logic.create_file(ctx.require_caller(), ctx.json(), ctx.header("idempotency-key"))
    return Reply(file.public() | {"boxes": []}, version=file.version, location=f"/records/files/{file.id}")


@api.route("/records/files", "GET", summary="List record files", response=schemas.FILE_PAGE,
           query=(*PAGE, schemas.STATUS_FILTER, schemas.CLASS_FILTER, schemas.LIST_FORMAT), errors=(403,),
           formats=("csv",))
def list_files(ctx: RequestContext) -> Reply:
    """The organisation's files as the caller may see them (requesters: what is open, closed fields blank).
    `format=csv` exports every matching file (at most 10,000; filter by status or class for more)."""
    if _csv_export(ctx):
        return file_reply(logic.files_csv(ctx.require_caller(), ctx.query["status"], ctx.query["class_code"]), "csv",
                          filename="record-files.csv", disposition="attachment")
    return page(*logic.list_files(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"],
                                  ctx.query["status"], ctx.query["class_code"]))


@api.route("/records/files/{file_id}", "GET", summary="Read a record file", response=schemas.FILE, etag=True,
           errors=(403, 404))
def get_file(ctx: RequestContext, file_id: str) -> Reply:
    """With its rule, due dates, access classification and the boxes it is in (from stacks' box events);
    requesters see closed fields redacted. Another organisation's file answers 404."""
    view, version = logic.get_file(ctx.require_caller(), _id(file_id, "file"))
    return Reply(view, version=version)


@api.route("/records/files/{file_id}", "PATCH", summary="Describe a record file", response=schemas.FILE,
           body=schemas.UPDATE_FILE, if_match=True, etag=True, errors=(403, 404, 409))
def update_file(ctx: RequestContext, file_id: str) -> Reply:
    """Archivists and admins correct descriptive metadata (not the class, nor what closing set). Send `If-Match`."""
    changes = ctx.json()
    file = logic.update_file(ctx.require_caller(), _id(file_id, "file"), changes, ctx.expected_version())
    return Reply(file.public(), version=file.version)


@api.route("/records/files/{file_id}/close", "POST", summary="Close a record file", response=schemas.FILE,
           body=schemas.CLOSE_FILE, idempotent=True, if_match=True, etag=True, errors=(403, 404, 409))
def close_file(ctx: RequestContext, file_id: str) -> Reply:
    """open → closed. The production year is the closing year; retention starts on 1 January of the next year
    and the disposal due date follows from the rule (준영구: appraisal at 70 years; 영구: none). Send `{}` to
    close it today. Send `If-Match`."""
    body = ctx.json()
    file = logic.close_file(ctx.require_caller(), _id(file_id, "file"), body, ctx.expected_version())
    return Reply(file.public(), version=file.version)


@api.route("/records/files/{file_id}/retention", "POST", summary="Override a file's retention",
           response=schemas.FILE, body=schemas.OVERRIDE_RETENTION, idempotent=True, if_match=True, etag=True,
           errors=(403, 404, 409))
def override_retention(ctx: RequestContext, file_id: str) -> Reply:
    """Archivists only, with a reason (a `RetentionOverridden` event in the file's history). A closed file's
    due dates follow at once. Send `If-Match`."""
    body = ctx.json()
    file = logic.override_retention(ctx.require_caller(), _id(file_id, "file"), body, ctx.expected_version())
    return Reply(file.public(), version=file.version)


@api.route("/records/files/{file_id}/rule", "POST", summary="Re-apply a newer rule to a closed file",
           response=schemas.FILE, body=schemas.REAPPLY_RULE, idempotent=True, if_match=True, etag=True,
           errors=(403, 404, 409, 422))
def reapply_rule(ctx: RequestContext, file_id: str) -> Reply:
    """Archivists only, with a reason: a closed file keeps the rule it closed with until a records
    professional applies a newer published version's rule for its class. Send `If-Match`."""
    body = ctx.json()
    file = logic.reapply_rule(ctx.require_caller(), _id(file_id, "file"), body, ctx.expected_version())
    return Reply(file.public(), version=file.version)


@api.route("/records/files/{file_id}/access", "POST", summary="Reclassify a file's access (공개구분)",
           response=schemas.FILE, body=schemas.CHANGE_FILE_ACCESS, idempotent=True, if_match=True, etag=True,
           errors=(403, 404, 409))
def change_file_access(ctx: RequestContext, file_id: str) -> Reply:
    """Archivists only, with a reason (an `AccessChanged` event). `partly_open` and `closed` name their grounds
    (1–8); `partly_open` may close some fields; a non-open file is reviewed again in 5 years (or on
    `review_on`); `extended_until` records an extension of the 30-year rule. An open re-review of the file is
    done with this. Send `If-Match`."""
    body = ctx.json()
    file = logic.change_file_access(ctx.require_caller(), _id(file_id, "file"), body, ctx.expected_version())
    return Reply(file.public(), version=file.version)


@api.route("/records/files/{file_id}/description", "GET", summary="Export a file's description",
           response=schemas.DESCRIPTION, errors=(403, 404))
def describe_file(ctx: RequestContext, file_id: str) -> Reply:
    """The file, every item (up to 5,000; more: the items CSV) and the boxes it is in, as one JSON document,
    redacted as the caller may see them."""
    description = logic.describe_file(ctx.require_caller(), _id(file_id, "file"))
    return Reply(description, headers={"Content-Disposition": f'attachment; filename="record-file-{file_id}.json"'})


# ---------------------------------------------------------------------- items
@api.route("/records/files/{file_id}/items", "POST", summary="Register an item in a file",
           response=schemas.ITEM, status=201, body=schemas.CREATE_ITEM, idempotent=True, etag=True,
           errors=(403, 404, 409))
def add_item(ctx: RequestContext, file_id: str) -> Reply:
    """Archivists and admins, while the file is open (409 once closed). The registration number (등록번호) is
    unique within the organisation (400 naming it otherwise). The item starts with its file's access
    classification unless `access` says otherwise."""
    item = logic.add_item(ctx.require_caller(), _id(file_id, "file"), ctx.json(), ctx.header("idempotency-key"))
    return Reply(item.public(), version=item.version, location=f"/records/files/{file_id}/items/{item.id}")


@api.route("/records/files/{file_id}/items", "GET", summary="List a file's items", response=schemas.ITEM_PAGE,
           query=(*PAGE, schemas.LIST_FORMAT), errors=(403, 404), formats=("csv",))
def list_items(ctx: RequestContext, file_id: str) -> Reply:
    """As the caller may see them; `format=csv` exports every item of the file (at most 10,000)."""
    if _csv_export(ctx):
        return file_reply(logic.items_csv(ctx.require_caller(), _id(file_id, "file")), "csv",
                          filename=f"record-items-{file_id}.csv", disposition="attachment")
    return page(*logic.list_items(ctx.require_caller(), _id(file_id, "file"), ctx.query["limit"],
                                  ctx.query["cursor"]))


@api.route("/records/files/{file_id}/items/{item_id}", "GET", summary="Read an item", response=schemas.ITEM,
           etag=True, errors=(403, 404))
def get_item(ctx: RequestContext, file_id: str, item_id: str) -> Reply:
    """Requesters see an open item whole, a partly open one without its closed fields, a closed one (or any item
    of a closed file) only by its registration number."""
    view, version = logic.get_item(ctx.require_caller(), _id(file_id, "file"), _id(item_id, "item"))
    return Reply(view, version=version)


@api.route("/records/files/{file_id}/items/{item_id}", "PATCH", summary="Describe an item", response=schemas.ITEM,
           body=schemas.UPDATE_ITEM, if_match=True, etag=True, errors=(403, 404, 409))
def update_item(ctx: RequestContext, file_id: str, item_id: str) -> Reply:
    """Archivists and admins (not the registration number). Send `If-Match`."""
    changes = ctx.json()
    item = logic.update_item(ctx.require_caller(), _id(file_id, "file"), _id(item_id, "item"), changes,
                             ctx.expected_version())
    return Reply(item.public(), version=item.version)


@api.route("/records/files/{file_id}/items/{item_id}/access", "POST", summary="Reclassify an item's access",
           response=schemas.ITEM, body=schemas.CHANGE_ITEM_ACCESS, idempotent=True, if_match=True, etag=True,
           errors=(403, 404, 409))
def change_item_access(ctx: RequestContext, file_id: str, item_id: str) -> Reply:
    """Archivists only, with a reason (an `ItemAccessChanged` event); as for files. Send `If-Match`."""
    body = ctx.json()
    item = logic.change_item_access(ctx.require_caller(), _id(file_id, "file"), _id(item_id, "item"), body,
                                    ctx.expected_version())
    return Reply(item.public(), version=item.version)


# ------------------------------------------------------------- access reviews
@api.route("/records/access-reviews", "GET", summary="List access reviews", response=schemas.REVIEW_PAGE,
           query=(*PAGE, schemas.REVIEW_STATUS), errors=(403,))
def list_reviews(ctx: RequestContext) -> Reply:
    """Re-reviews of non-public files (every 5 years), soonest due first, opened by the daily job
    `open_due_access_reviews`. Archivists, auditors and admins."""
    return page(*logic.list_reviews(ctx.require_caller(), ctx.query["status"], ctx.query["limit"],
                                    ctx.query["cursor"]))


@api.route("/records/access-reviews/{review_id}", "GET", summary="Read an access review", response=schemas.REVIEW,
           etag=True, errors=(403, 404))
def get_review(ctx: RequestContext, review_id: str) -> Reply:
    """One review task and its outcome."""
    review = logic.get_review(ctx.require_caller(), _id(review_id, "access review"))
    return Reply(review.public(), version=review.version)


@api.route("/records/access-reviews/{review_id}/complete", "POST", summary="Keep a file's access after review",
           response=schemas.REVIEW, body=schemas.COMPLETE_REVIEW, idempotent=True, if_match=True, etag=True,
           errors=(403, 404, 409))
def complete_review(ctx: RequestContext, review_id: str) -> Reply:
    """Archivists only: the classification stays (with a note); the next review falls 5 years on. To change it
    instead, reclassify the file (that completes the review). Send `If-Match` (the review's ETag)."""
    body = ctx.json()
    review = logic.complete_review(ctx.require_caller(), _id(review_id, "access review"), body,
                                   ctx.expected_version())
    return Reply(review.public(), version=review.version)


# ---- components (digital components and fixity: logic/components.py, logic/fixity.py)
_ITEM_PATH = "/records/files/{file_id}/items/{item_id}"


@api.route(f"{_ITEM_PATH}/components/uploads", "POST", summary="Ask to upload a digital component",
           response=schemas.COMPONENT_UPLOAD, status=201, body=schemas.REQUEST_COMPONENT_UPLOAD, idempotent=True,
           errors=(403, 404, 409))
def request_component_upload(ctx: RequestContext, file_id: str, item_id: str) -> Reply:
    """Archivists and admins declare the file to come — name, media type, size and SHA-256 (hex, or base64) — and
    get where to send it: a presigned `PUT` (15 minutes) with the headers to send, all signed, so S3 accepts only
    bytes of that length whose SHA-256 is the declared one, written once; above 100 MiB, one presigned `PUT` per
    part (send each part's ETag to `complete`). Nothing counts as captured until `complete` has checked it."""
    upload = logic.request_upload(ctx.require_caller(), _id(file_id, "file"), _id(item_id, "item"), ctx.json(),
                                  ctx.header("idempotency-key"))
    return Reply(upload, location=f"{_ITEM_PATH.format(file_id=file_id, item_id=item_id)}/components/uploads/"
                                  f"{upload['id']}")


@api.route(f"{_ITEM_PATH}/components/uploads/{{upload_id}}", "GET", summary="Read a component upload",
           response=schemas.COMPONENT_UPLOAD, errors=(403, 404))
def get_component_upload(ctx: RequestContext, file_id: str, item_id: str, upload_id: str) -> Reply:
    """Its status: `pending` (waiting for its bytes), `captured` (with `component_id`) or `rejected` (with the
    `mismatches` that refused it)."""
    upload = logic.get_upload(ctx.require_caller(), _id(file_id, "file"), _id(item_id, "item"),
                              _id(upload_id, "upload"))
    return Reply(upload.public())


@api.route(f"{_ITEM_PATH}/components/uploads/{{upload_id}}/complete", "POST", summary="Complete an upload",
           response=schemas.COMPONENT, status=201, body=schemas.COMPLETE_COMPONENT_UPLOAD, idempotent=True,
           etag=True, errors=(403, 404, 409, 422))
def complete_component_upload(ctx: RequestContext, file_id: str, item_id: str, upload_id: str) -> Reply:
    """The capability re-reads the uploaded object as a stream and compares its size and SHA-256 with the
    declaration. A match is locked in the records bucket and captured (`ComponentCaptured`); a mismatch answers
    422 `content-mismatch` naming each difference, deletes the object and captures nothing. 409 while nothing
    has been uploaded. Completing a captured upload again answers its component."""
    component = logic.complete_upload(ctx.require_caller(), _id(file_id, "file"), _id(item_id, "item"),
                                      _id(upload_id, "upload"), ctx.json())
    return Reply(logic.render_component(ctx.require_caller(), component), version=component.version,
                 location=f"{_ITEM_PATH.format(file_id=file_id, item_id=item_id)}/components/{component.id}")


@api.route(f"{_ITEM_PATH}/components", "GET", summary="List an item's digital components",
           response=schemas.COMPONENT_PAGE, query=PAGE, errors=(403, 404))
def list_components(ctx: RequestContext, file_id: str, item_id: str) -> Reply:
    """With size, SHA-256 and the last fixity check. A requester sees a non-open item's components without
    file name, label or description, and `downloadable: false`."""
    return page(*logic.list_components(ctx.require_caller(), _id(file_id, "file"), _id(item_id, "item"),
                                       ctx.query["limit"], ctx.query["cursor"]))


@api.route(f"{_ITEM_PATH}/components/{{component_id}}", "GET", summary="Read a digital component",
           response=schemas.COMPONENT, etag=True, errors=(403, 404))
def get_component(ctx: RequestContext, file_id: str, item_id: str, component_id: str) -> Reply:
    """Its description, checksum and fixity; another organisation's answers 404."""
    shown, version = logic.get_component(ctx.require_caller(), _id(file_id, "file"), _id(item_id, "item"),
                                         _id(component_id, "component"))
    return Reply(shown, version=version)


@api.route(f"{_ITEM_PATH}/components/{{component_id}}", "PATCH", summary="Describe a digital component",
           response=schemas.COMPONENT, body=schemas.DESCRIBE_COMPONENT, if_match=True, etag=True,
           errors=(403, 404, 409))
def describe_component(ctx: RequestContext, file_id: str, item_id: str, component_id: str) -> Reply:
    """Archivists and admins change its `label` and `description` (send `If-Match`); each change is a
    `ComponentDescribed` event. No route changes a captured component's bytes. Refused (409) while a
    destruction run holds the file, and for a destroyed component (its description is part of the residual
    record)."""
    component = logic.describe_component(ctx.require_caller(), _id(file_id, "file"), _id(item_id, "item"),
                                         _id(component_id, "component"), ctx.json(), ctx.expected_version())
    return Reply(logic.render_component(ctx.require_caller(), component), version=component.version)


@api.route(f"{_ITEM_PATH}/components/{{component_id}}/download", "GET", summary="Download a digital component",
           response=schemas.COMPONENT_DOWNLOAD, errors=(403, 404, 410))
def download_component(ctx: RequestContext, file_id: str, item_id: str, component_id: str) -> Reply:
    """A presigned `GET` of the captured version (5 minutes), answered as JSON rather than a redirect so the
    caller's token never travels to S3. Archivists, auditors and admins may download any of their
    organisation's components; requesters only those of open items (403 otherwise). A component a destruction
    run destroyed answers 410 `content-destroyed` naming the run (`run_id`); its metadata stays readable."""
    return Reply(logic.download_component(ctx.require_caller(), _id(file_id, "file"), _id(item_id, "item"),
                                          _id(component_id, "component")))


@api.route(f"{_ITEM_PATH}/components/{{component_id}}/fixity-checks", "POST", summary="Check a component's fixity now",
           response=schemas.FIXITY_CHECK, idempotent=True, errors=(403, 404, 410))
def check_component_fixity(ctx: RequestContext, file_id: str, item_id: str, component_id: str) -> Reply:
    """Archivists and admins re-read one component now and recompute its SHA-256, as the daily run does
    (after restoring a copy, or before a transfer): `ok`, or `failed` with the reason, `FixityFailed` and
    an open follow-up. The check is recorded on the component; its bytes are never changed. A destroyed
    component has nothing to read: 410 `content-destroyed`."""
    return Reply(logic.check_now(ctx.require_caller(), _id(file_id, "file"), _id(item_id, "item"),
                                 _id(component_id, "component")))


@api.route("/records/fixity/runs", "GET", summary="List fixity runs", response=schemas.FIXITY_RUN_PAGE, query=PAGE,
           errors=(403,))
def list_fixity_runs(ctx: RequestContext) -> Reply:
    """Newest first: the organisation's part of each daily fixity run (components checked, intact, failed,
    bytes read, and whether more were due than the run's budget). Archivists, auditors and admins."""
    return page(*logic.list_fixity_reports(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"]))


@api.route("/records/fixity/runs/{run_id}", "GET", summary="Read a fixity run's report", response=schemas.FIXITY_RUN,
           errors=(403, 404))
def get_fixity_run(ctx: RequestContext, run_id: str) -> Reply:
    """With the failures it found (the first 100; the counts are complete)."""
    return Reply(logic.get_fixity_report(ctx.require_caller(), _id(run_id, "fixity run")).public())


@api.route("/records/fixity/follow-ups", "GET", summary="List fixity follow-ups",
           response=schemas.FIXITY_FOLLOW_UP_PAGE, query=(*PAGE, schemas.FOLLOW_UP_STATUS_FILTER), errors=(403,))
def list_fixity_follow_ups(ctx: RequestContext) -> Reply:
    """What failed checks left to do: one per failure (`missing`, `size_mismatch`, `checksum_mismatch`,
    `superseded`); `status=open` lists those still waiting."""
    return page(*logic.list_fixity_follow_ups(ctx.require_caller(), ctx.query["status"], ctx.query["limit"],
                                              ctx.query["cursor"]))


@api.route("/records/fixity/follow-ups/{follow_up_id}", "GET", summary="Read a fixity follow-up",
           response=schemas.FIXITY_FOLLOW_UP, etag=True, errors=(403, 404))
def get_fixity_follow_up(ctx: RequestContext, follow_up_id: str) -> Reply:
    """What was found, and what was done about it."""
    follow_up = logic.get_fixity_follow_up(ctx.require_caller(), _id(follow_up_id, "follow-up"))
    return Reply(follow_up.public(), version=follow_up.version)


@api.route("/records/fixity/follow-ups/{follow_up_id}/resolve", "POST", summary="Resolve a fixity follow-up",
           response=schemas.FIXITY_FOLLOW_UP, body=schemas.RESOLVE_FIXITY_FOLLOW_UP, if_match=True, idempotent=True,
           etag=True, errors=(403, 404, 409))
def resolve_fixity_follow_up(ctx: RequestContext, follow_up_id: str) -> Reply:
    """Archivists and admins say what was done (`restored`, `replaced_by_new_component`, `false_alarm`,
    `other`) with a note; `FixityFollowUpResolved`. Send `If-Match`; 409 when already resolved."""
    follow_up = logic.resolve_fixity_follow_up(ctx.require_caller(), _id(follow_up_id, "follow-up"), ctx.json(),
                                               ctx.expected_version())
    return Reply(follow_up.public(), version=follow_up.version)


# ----------------------------------------------------------------------- jobs
@api.route("/records/imports", "POST", summary="Register files and items in bulk (a long job)",
           response=schemas.JOB, status=202, body=schemas.IMPORT, idempotent=True, errors=(403, 413))
def submit_import(ctx: RequestContext) -> Reply:
    """Archivists and admins. Rows of files (`record: file`, with a `reference`) and items (`record: item`,
    naming their file by `file_reference` or `file_id`), as JSON `{"rows": [...]}` (up to 256 KB) or as
    `text/csv` with a header row (lists separated by `;`; up to 20,000 rows, 6 MB). Answers 202 with the job: poll
    `Location` for `status`, `done`/`total` and `percent`; each row is registered whole or not at all, and
    a rejected row is listed with its problem at `/records/jobs/{job_id}/errors`."""
    if ctx.media_type() == "text/csv":
        rows = ctx.rows()
    else:
        rows = ctx.json().get("rows", [])  # required by the schema
    job = logic.submit_import(ctx.require_caller(), rows, ctx.header("idempotency-key"))
    return Reply(job.public(), location=f"/records/jobs/{job.id}")


@api.route("/records/jobs", "GET", summary="List bulk jobs", response=schemas.JOB_PAGE, query=PAGE, errors=(403,))
def list_jobs(ctx: RequestContext) -> Reply:
    """Newest first (archivists, admins, auditors)."""
    return page(*logic.list_jobs(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"]))


@api.route("/records/jobs/{job_id}", "GET", summary="Read a bulk job's progress", response=schemas.JOB,
           errors=(403, 404))
def get_job(ctx: RequestContext, job_id: str) -> Reply:
    """`queued` → `running` → `completed` (rejected rows counted in `failed`) | `failed` (the job could not run),
    with `done` of `total` rows and `percent`."""
    return Reply(logic.get_job(ctx.require_caller(), _id(job_id, "job")).public())


@api.route("/records/jobs/{job_id}/errors", "GET", summary="A bulk job's rejected rows",
           response=schemas.ROW_ERROR_PAGE, query=PAGE, errors=(403, 404))
def job_errors(ctx: RequestContext, job_id: str) -> Reply:
    """Each rejected row (1-based; the CSV header is row 0) with its problem and every bad field."""
    return page(*logic.job_errors(ctx.require_caller(), _id(job_id, "job"), ctx.query["limit"],
                                  ctx.query["cursor"]))


handler = api.lambda_handler()
