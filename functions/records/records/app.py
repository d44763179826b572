"""Records' HTTP routes: parse, call one logic function, shape the reply.

  /records/classes                                   the classes (unit tasks) files are filed under
  /records/files[/{file_id}]                         file (기록물철), list, read, describe
  /records/files/{file_id}/close                     open → closed: production year and due dates
  /records/files/{file_id}/retention | /rule         an archivist's override, a newer rule re-applied
"""
from __future__ import annotations

import re

from shared.http import Api, Reply, RequestContext, page
from shared.pagination import PAGE
from shared.problems import NotFound

from . import logic, schemas

api = Api("records")
app = api.app
_ID = re.compile(schemas.ID["pattern"])


def _id(value: str, what: str) -> str:
    """A path id that cannot be one of ours names nothing (404), whatever its length or characters."""
    if len(value) > schemas.ID["maxLength"] or not _ID.match(value):
        raise NotFound(f"No {what} with that id in your organisation.")
    return value


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
           query=(*PAGE, schemas.STATUS_FILTER, schemas.CLASS_FILTER), errors=(403,))
def list_files(ctx: RequestContext) -> Reply:
    """The organisation's files as the caller may see them (requesters: what is open)."""
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


# ---------------------------------------------------------------------- items


handler = api.lambda_handler()
