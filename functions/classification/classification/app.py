"""Classification's HTTP routes: parse, call one logic function, shape the reply.

  /classification/versions[/{version}]                 list, open a draft, read
  /classification/versions/{version}/nodes[/{code}]    a version's nodes; a draft's are edited here
  /classification/versions/{version}/import            a CSV sheet replaces a draft's nodes (all or nothing)
  /classification/versions/{version}/export            any version as JSON or CSV
  /classification/versions/{version}/publish           a draft becomes the current version, never to change
  /classification/unit-tasks/{code}                    a unit task of the current version
"""
from __future__ import annotations

from shared.http import Api, Reply, RequestContext, file_reply, negotiate, page
from shared.pagination import PAGE
from shared.problems import NotFound

from . import logic, schemas
from .domain.rules import CODE
from .domain.sheet import MAX_BODY_BYTES

api = Api("classification")
app = api.app


def _code(value: str) -> str:
    """A path code that cannot be one of ours names nothing (404)."""
    if not CODE.match(value):
        raise NotFound("No node with that code in this version.")
    return value


def _version_path(number: int) -> str:
    return f"/classification/versions/{number}"


# ------------------------------------------------------------------- versions
@api.route("/classification/versions", "GET", summary="List scheme versions", response=schemas.VERSION_PAGE,
           query=PAGE, errors=(403,))
def list_versions(ctx: RequestContext) -> Reply:
    """The organisation's scheme versions, newest first: drafts, versions being published and published ones.
    Every staff role reads."""
    return page(*logic.list_versions(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"]))


@api.route("/classification/versions", "POST", summary="Open a draft", response=schemas.VERSION, status=201,
           idempotent=True, etag=True, errors=(403, 409))
def start_draft(ctx: RequestContext) -> Reply:
    """Archivists and admins: a new version numbered after the newest, holding a copy of the current published
    version's nodes (empty for the first scheme), to edit, import into and publish. One draft at a time (409)."""
    draft = logic.start_draft(ctx.require_caller(), ctx.header("idempotency-key"))
    return Reply(draft.public(), version=draft.version, location=_version_path(draft.number))


@api.route("/classification/versions/{version}", "GET", summary="Read a scheme version", response=schemas.VERSION,
           etag=True, errors=(403, 404))
def get_version(ctx: RequestContext, version: str) -> Reply:
    """Its status (`draft` → `publishing` → `published`), counts and ETag (If-Match of import and publish)."""
    found = logic.get_version(ctx.require_caller(), version)
    return Reply(found.public(), version=found.version)


@api.route("/classification/versions/{version}/publish", "POST", summary="Publish a draft",
           response=schemas.VERSION, if_match=True, idempotent=True, etag=True, errors=(403, 404, 409))
def publish(ctx: RequestContext, version: str) -> Reply:
    """Archivists and admins, with the draft's ETag: the draft becomes the current version and never changes
    again (every write to it answers 409). Emits one `UnitTaskPublished` per unit task, then
    `SchemeVersionPublished`. Interrupted, the version stays `publishing` (frozen, not yet current): publish it
    again with the same If-Match to finish."""
    done = logic.publish(ctx.require_caller(), version, ctx.expected_version())
    return Reply(done.public(), version=done.version)


# ---------------------------------------------------------------------- nodes
@api.route("/classification/versions/{version}/nodes", "GET", summary="List a version's nodes",
           response=schemas.NODE_PAGE, query=PAGE, errors=(403, 404))
def list_nodes(ctx: RequestContext, version: str) -> Reply:
    """Functions, sub-functions and unit tasks by code, each naming its parent (the tree, page by page)."""
    return page(*logic.list_nodes(ctx.require_caller(), version, ctx.query["limit"], ctx.query["cursor"]))


@api.route("/classification/versions/{version}/nodes", "POST", summary="Add a node to a draft",
           response=schemas.NODE, status=201, body=schemas.CREATE_NODE, idempotent=True, etag=True,
           errors=(403, 404, 409))
def create_node(ctx: RequestContext, version: str) -> Reply:
    """Archivists and admins: a function (no parent), a sub-function (under a function) or a unit task (under a
    sub-function, with its disposal rule: retention, action — `transfer` from 30 years up —, access with its
    grounds, notes). A code already in the draft, or a published version, answers 409."""
    node, number = logic.create_node(ctx.require_caller(), version, ctx.json())
    return Reply(node.public(number), version=node.version, location=f"{_version_path(number)}/nodes/{node.code}")


@api.route("/classification/versions/{version}/nodes/{code}", "GET", summary="Read a node",
           response=schemas.NODE, etag=True, errors=(403, 404))
def get_node(ctx: RequestContext, version: str, code: str) -> Reply:
    """One node of the version, with its rule when it is a unit task."""
    node, number = logic.get_node(ctx.require_caller(), version, _code(code))
    return Reply(node.public(number), version=node.version)


@api.route("/classification/versions/{version}/nodes/{code}", "PATCH", summary="Change a draft's node",
           response=schemas.NODE, body=schemas.UPDATE_NODE, if_match=True, etag=True, errors=(403, 404, 409))
def update_node(ctx: RequestContext, version: str, code: str) -> Reply:
    """Archivists and admins, with the node's ETag: title, description, validity, parent, and a unit task's rule
    (its members merge into the rule, which is checked whole). A published version answers 409."""
    changes = ctx.json()
    node, number = logic.update_node(ctx.require_caller(), version, _code(code), changes, ctx.expected_version())
    return Reply(node.public(number), version=node.version)


@api.route("/classification/versions/{version}/nodes/{code}", "DELETE", summary="Remove a draft's node",
           response=schemas.VERSION, if_match=True, etag=True, errors=(403, 404, 409))
def delete_node(ctx: RequestContext, version: str, code: str) -> Reply:
    """Archivists and admins, with the node's ETag; only a node with nothing under it (409 otherwise). Answers
    the draft as it is now (its ETag moved)."""
    draft = logic.delete_node(ctx.require_caller(), version, _code(code), ctx.expected_version())
    return Reply(draft.public(), version=draft.version)


@api.route("/classification/unit-tasks/{code}", "GET", summary="Look a unit task up in the current version",
           response=schemas.NODE, etag=True, errors=(403, 404))
def unit_task(ctx: RequestContext, code: str) -> Reply:
    """The unit task of that code in the current (newest published) version, with its disposal rule and the
    version's number: what a file is filed under."""
    node, number = logic.unit_task(ctx.require_caller(), _code(code))
    return Reply(node.public(number), version=node.version)


# --------------------------------------------------------------------- sheets
@api.route("/classification/versions/{version}/import", "POST", summary="Import a CSV sheet into a draft",
           response=schemas.VERSION, body=schemas.IMPORT_SHEET, if_match=True, idempotent=True, etag=True,
           errors=(403, 404, 409, 422), max_body=MAX_BODY_BYTES)
def import_sheet(ctx: RequestContext, version: str) -> Reply:
    """Archivists and admins, with the draft's ETag: the sheet replaces every node of the draft, or nothing
    changes. Up to 5,000 rows in a body of up to 5 MB (the sheet in `csv`). A sheet with flaws answers 422
    `scheme-sheet-rejected` listing every bad cell of every row as `rows[N].<column>` (N counts data rows
    from 1) and writes nothing."""
    body = ctx.json()
    draft = logic.import_sheet(ctx.require_caller(), version, body, ctx.expected_version(),
                               ctx.header("idempotency-key"))
    return Reply(draft.public(), version=draft.version)


@api.route("/classification/versions/{version}/export", "GET", summary="Export a version",
           response=schemas.EXPORT, query=(schemas.EXPORT_AS,), errors=(403, 404), formats=("csv",))
def export(ctx: RequestContext, version: str) -> Reply:
    """Any version with all its nodes, depth first: JSON (the version and its nodes), or with `format=csv` (or
    `Accept: text/csv`) the import sheet's columns, which import back unchanged."""
    fmt = negotiate(ctx.query["format"], ctx.header("accept"))
    found, nodes = logic.export(ctx.require_caller(), version)
    if fmt == "csv":
        return file_reply(logic.export_csv(nodes), "csv", filename=f"scheme-v{found.number}.csv")
    return Reply(logic.export_json(found, nodes))


handler = api.lambda_handler()
