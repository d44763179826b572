"""Transfer's HTTP routes: parse, call one logic function, shape the reply.

  /transfers/due                                       the latest due list (이관 대상) the daily job built
  /transfers[/{transfer_id}]                           draft, list, read (sender and receiver alike)
  /transfers/{transfer_id}/files                       its files: state, components, inspection
  /transfers/{transfer_id}/send                        the sender packages it (a saga: mark, package, verify)
  /transfers/{transfer_id}/cancel                      the sender withdraws a draft
  /transfers/{transfer_id}/files/{file_id}/inspection  the receiver's word on a file (검수)
  /transfers/{transfer_id}/accept                      the receiver accepts (a saga: receive, release)
  /transfers/exports[/{export_id}]                     a bag of any selection of files, then its download
"""
from __future__ import annotations

from shared.http import Api, Reply, RequestContext, page, path_ids
from shared.pagination import PAGE

from . import logic, schemas

api = Api("transfer")
app = api.app
_id = path_ids(schemas.ID)
ONE = "/transfers/{transfer_id}"


def _transfer(transfer) -> Reply:
    return Reply(transfer.public(), version=transfer.version, location=f"/transfers/{transfer.id}")


@api.route("/transfers/due", "GET", summary="The files due for transfer", response=schemas.DUE_PAGE,
           query=(*PAGE, schemas.KIND), errors=(403,))
def list_due(ctx: RequestContext) -> Reply:
    """The latest list the daily job built (`as_of`): each file due for a transfer to the records centre (from
    its retention start, within 2 years) or to the permanent archive (kept 30 years or more, 10 years after its
    retention start), flagged when a hold applies or its access review is stale (both refuse a transfer)."""
    as_of, items, cursor = logic.list_due(ctx.require_caller(), ctx.query["kind"], ctx.query["limit"],
                                          ctx.query["cursor"])
    reply = page(items, cursor)
    reply.body["as_of"] = as_of
    return reply


@api.route("/transfers", "POST", summary="Draft a transfer", response=schemas.TRANSFER, status=201,
           body=schemas.CREATE_TRANSFER, idempotent=True, etag=True, errors=(403, 409, 422))
def create_transfer(ctx: RequestContext) -> Reply:
    """Archivists of the sending organisation. Every refused file is named: a hold applies (409 `file-held`),
    its access classification was not reviewed in the last 5 years (409 `access-review-stale`, law art. 35),
    or it cannot go (422 `files-not-transferable`: unknown, not closed, gone, in another transfer, kept too
    short for the archive). Both the sender and the receiver see the draft."""
    return _transfer(logic.create_transfer(ctx.require_caller(), ctx.json(), ctx.header("idempotency-key")))


@api.route("/transfers", "GET", summary="List transfers", response=schemas.TRANSFER_PAGE,
           query=(*PAGE, schemas.STATUS, schemas.ROLE), errors=(403,))
def list_transfers(ctx: RequestContext) -> Reply:
    """Those your organisation sends and those it receives (and its exports), by id."""
    return page(*logic.list_transfers(ctx.require_caller(), ctx.query["status"], ctx.query["role"],
                                      ctx.query["limit"], ctx.query["cursor"]))


@api.route(ONE, "GET", summary="Read a transfer", response=schemas.TRANSFER, etag=True, errors=(403, 404))
def get_transfer(ctx: RequestContext, transfer_id: str) -> Reply:
    transfer = logic.get_transfer(ctx.require_caller(), _id(transfer_id, "transfer"))
    return Reply(transfer.public(), version=transfer.version)


@api.route(ONE + "/files", "GET", summary="List a transfer's files", response=schemas.TRANSFER_FILE_PAGE,
           query=PAGE, errors=(403, 404))
def list_transfer_files(ctx: RequestContext, transfer_id: str) -> Reply:
    """Each file's state (listed, marked, packaged, verified, received, transferred, returned,
    failed_verification), its components and the receiver's inspection."""
    return page(*logic.list_files(ctx.require_caller(), _id(transfer_id, "transfer"), ctx.query["limit"],
                                  ctx.query["cursor"]))


@api.route(ONE + "/send", "POST", summary="Send a transfer", response=schemas.TRANSFER, status=202,
           idempotent=True, if_match=True, etag=True, errors=(403, 404, 409))
def send(ctx: RequestContext, transfer_id: str) -> Reply:
    """Archivists of the sender, for a draft. Starts the package saga: records marks the files (and stacks their
    boxes), records and audit write the payload, the bag's manifests and EAD3 description are written, and
    the bag is verified as the receiver will; then it awaits inspection. Any failure undoes every mark
    (`failed`, with the problem naming the file). Send `If-Match`."""
    return _transfer(logic.send(ctx.require_caller(), _id(transfer_id, "transfer"), ctx.expected_version()))


@api.route(ONE + "/cancel", "POST", summary="Cancel a draft transfer", response=schemas.TRANSFER,
           idempotent=True, if_match=True, etag=True, errors=(403, 404, 409))
def cancel(ctx: RequestContext, transfer_id: str) -> Reply:
    """Archivists of the sender, for a draft; its files are free for another transfer. Send `If-Match`."""
    transfer = logic.cancel(ctx.require_caller(), _id(transfer_id, "transfer"), ctx.expected_version())
    return Reply(transfer.public(), version=transfer.version)


@api.route(ONE + "/files/{file_id}/inspection", "POST", summary="Inspect a transferred file",
           response=schemas.TRANSFER_FILE, body=schemas.INSPECT_FILE, idempotent=True, if_match=True, etag=True,
           errors=(403, 404, 409))
def inspect(ctx: RequestContext, transfer_id: str, file_id: str) -> Reply:
    """Archivists of the receiver, once the package is verified (검수): accept, or reject with a reason (a
    rejected file stays with the sender, unchanged). Send `If-Match` (the file's version in the transfer)."""
    body = ctx.json()
    f = logic.inspect(ctx.require_caller(), _id(transfer_id, "transfer"), _id(file_id, "file"), body,
                      ctx.expected_version())
    return Reply(f.public(), version=f.version)


@api.route(ONE + "/accept", "POST", summary="Accept a transfer", response=schemas.TRANSFER, status=202,
           idempotent=True, if_match=True, etag=True, errors=(403, 404, 409))
def accept(ctx: RequestContext, transfer_id: str) -> Reply:
    """Archivists of the receiver, once every file is inspected. Starts the acceptance saga: the bag is verified
    again (intake), the accepted files are created at the receiver from it (hashes checked again) and their boxes
    registered there, the rejected ones go back to the sender unchanged, and last, irreversibly, the sender's
    files become residual transfer records. All rejected: `rejected`, nothing moves. A bag that no longer
    verifies: `failed` (the problem names the file, its path and both SHA-256s), every file back with the
    sender, nothing kept. Send `If-Match`."""
    return _transfer(logic.accept(ctx.require_caller(), _id(transfer_id, "transfer"), ctx.expected_version()))


# -------------------------------------------------------------------- exports
@api.route("/transfers/exports", "POST", summary="Export files as a bag", response=schemas.EXPORT, status=202,
           body=schemas.CREATE_EXPORT, idempotent=True, etag=True, errors=(403, 422))
def create_export(ctx: RequestContext) -> Reply:
    """Archivists. A BagIt bag with its EAD3 description of any selection of your files (each unknown one
    named), built by the package saga without marking anything; poll its `Location` until `ready`, then
    download it."""
    export = logic.create_export(ctx.require_caller(), ctx.json(), ctx.header("idempotency-key"))
    return Reply({**export.public(), "download": None}, version=export.version,
                 location=f"/transfers/exports/{export.id}")


@api.route("/transfers/exports/{export_id}", "GET", summary="Read an export", response=schemas.EXPORT, etag=True,
           errors=(403, 404))
def get_export(ctx: RequestContext, export_id: str) -> Reply:
    """Once `ready`, `download` holds presigned GETs (15 minutes) of the zipped bag and of its EAD3 description."""
    export, download = logic.get_export(ctx.require_caller(), _id(export_id, "export"))
    return Reply({**export.public(), "download": download}, version=export.version)


handler = api.lambda_handler()
