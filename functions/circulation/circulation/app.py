"""Circulation's HTTP routes: parse, call one logic function, shape the reply."""
from __future__ import annotations

from shared.concurrency import expected_version
from shared.http import Api, Reply, RequestContext
from shared.pagination import parse_limit
from shared.problems import ValidationFailed
from shared.validation import validate

from . import logic, schemas

api = Api("circulation")
app = api.app
LIST_PARAMS = {"limit", "cursor"}
REQUESTS = "/circulation/requests"
ONE = "/circulation/requests/{request_id}"


def _request_reply(request, status: int = 200, location: bool = False) -> Reply:
    return Reply(request.public(), status=status, version=request.version,
                 location=f"{REQUESTS}/{request.id}" if location else None)


@api.route(REQUESTS, "POST", idempotent=True)
def create_request(ctx: RequestContext) -> Reply:
    request = logic.create_request(ctx.require_caller(), ctx.json(schemas.CREATE_REQUEST),
                                   ctx.header("idempotency-key"))
    return _request_reply(request, status=201, location=True)


@api.route(REQUESTS, "GET")
def list_requests(ctx: RequestContext) -> Reply:
    params = ctx.params(LIST_PARAMS | {"status", "box_id", "requester"})
    for name, schema in (("status", schemas.STATUS), ("box_id", schemas.BOX_ID), ("requester", schemas.USER_ID)):
        if params.get(name) is not None:
            validate(params[name], schema)
    items, cursor = logic.list_requests(ctx.require_caller(), parse_limit(params), params.get("cursor"),
                                        params.get("status"), params.get("box_id"), params.get("requester"))
    return Reply({"items": [r.public() for r in items], "next_cursor": cursor})


@api.route(ONE, "GET")
def get_request(ctx: RequestContext, request_id: str) -> Reply:
    ctx.params(set())
    return _request_reply(logic.get_request(ctx.require_caller(), request_id))


@api.route(ONE + "/approve", "POST", idempotent=True)
def approve_request(ctx: RequestContext, request_id: str) -> Reply:
    version = expected_version(ctx.header("if-match"))
    return _request_reply(logic.approve(ctx.require_caller(), request_id, version))


@api.route(ONE + "/reject", "POST", idempotent=True)
def reject_request(ctx: RequestContext, request_id: str) -> Reply:
    body = ctx.json(schemas.REJECT)
    version = expected_version(ctx.header("if-match"))
    return _request_reply(logic.reject(ctx.require_caller(), request_id, body, version))


@api.route(ONE + "/cancel", "POST", idempotent=True)
def cancel_request(ctx: RequestContext, request_id: str) -> Reply:
    version = expected_version(ctx.header("if-match"))
    return _request_reply(logic.cancel(ctx.require_caller(), request_id, version))


@api.route(ONE + "/check-out", "POST", idempotent=True)
def check_out_request(ctx: RequestContext, request_id: str) -> Reply:
    # 202: the check-out saga reserves the box and records the loan; poll until checked_out.
    version = expected_version(ctx.header("if-match"))
    return _request_reply(logic.check_out(ctx.require_caller(), request_id, version), status=202, location=True)


@api.route(ONE + "/return", "POST", idempotent=True)
def return_request(ctx: RequestContext, request_id: str) -> Reply:
    body = ctx.json(schemas.RETURN)
    version = expected_version(ctx.header("if-match"))
    return _request_reply(logic.start_return(ctx.require_caller(), request_id, body, version), status=202,
                          location=True)


REGISTER_PARAMS = LIST_PARAMS | {"from", "until", "box_id", "person", "format"}


@api.route("/circulation/register", "GET")
def read_register(ctx: RequestContext) -> Reply:
    params = ctx.params(REGISTER_PARAMS)
    for name, schema in (("from", schemas.DAY), ("until", schemas.DAY), ("box_id", schemas.BOX_ID),
                         ("person", schemas.USER_ID), ("format", schemas.REGISTER_FORMAT)):
        if params.get(name) is not None:
            validate(params[name], schema)
    filters = {"since": params.get("from"), "until": params.get("until"), "box_id": params.get("box_id"),
               "person": params.get("person")}
    if params.get("format") == "csv":
        if params.get("cursor") or params.get("limit"):  # a CSV export is the whole selection
            raise ValidationFailed("format=csv exports every matching entry; it takes no limit or cursor.",
                                   errors=[{"field": "cursor" if params.get("cursor") else "limit",
                                            "message": "not with format=csv"}])
        text = logic.export_register(ctx.require_caller(), **filters)
        return Reply(text, content_type="text/csv; charset=utf-8",
                     headers={"Content-Disposition": 'attachment; filename="circulation-register.csv"'})
    entries, cursor = logic.read_register(ctx.require_caller(), **filters, limit=parse_limit(params),
                                          cursor=params.get("cursor"))
    return Reply({"items": [e.public() for e in entries], "next_cursor": cursor})


@api.route("/circulation/policy", "GET")
def get_policy(ctx: RequestContext) -> Reply:
    ctx.params(set())
    policy = logic.get_policy(ctx.require_caller())
    return Reply(policy.public(), version=policy.version)


@api.route("/circulation/policy", "PUT")
def put_policy(ctx: RequestContext) -> Reply:
    document = ctx.json(schemas.POLICY_DOCUMENT)
    policy = logic.put_policy(ctx.require_caller(), document, expected_version(ctx.header("if-match")))
    return Reply(policy.public(), version=policy.version)


handler = api.lambda_handler()
