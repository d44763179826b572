"""Identity's HTTP routes: parse, call one logic function, shape the reply."""
from __future__ import annotations

from shared.concurrency import expected_version
from shared.http import Api, Reply, RequestContext
from shared.pagination import parse_limit
from shared.validation import validate

from . import logic, schemas

api = Api("identity")
app = api.app
LIST_PARAMS = {"limit", "cursor"}


@api.route("/me", "GET")
def get_me(ctx: RequestContext) -> Reply:
    ctx.params(set())
    return Reply(logic.me(ctx.require_caller()))


@api.route("/organisations", "POST", idempotent=True)
def create_organisation(ctx: RequestContext) -> Reply:
    org, admin = logic.create_organisation(ctx.require_caller(), ctx.json(schemas.CREATE_ORGANISATION),
                                           ctx.header("idempotency-key"))
    body = {"organisation": org.public()} | ({"admin": admin.public()} if admin else {})
    return Reply(body, status=201, version=org.version, location=f"/organisations/{org.id}")


@api.route("/organisations", "GET")
def list_organisations(ctx: RequestContext) -> Reply:
    params = ctx.params(LIST_PARAMS)
    orgs, cursor = logic.list_organisations(ctx.require_caller(), parse_limit(params), params.get("cursor"))
    return Reply({"items": [o.public() for o in orgs], "next_cursor": cursor})


@api.route("/organisations/{org_id}", "GET")
def get_organisation(ctx: RequestContext, org_id: str) -> Reply:
    ctx.params(set())
    org = logic.get_organisation(ctx.require_caller(), org_id)
    return Reply(org.public(), version=org.version)


@api.route("/organisations/{org_id}", "PATCH")
def update_organisation(ctx: RequestContext, org_id: str) -> Reply:
    changes = ctx.json(schemas.UPDATE_ORGANISATION)
    org = logic.update_organisation(ctx.require_caller(), org_id, changes, expected_version(ctx.header("if-match")))
    return Reply(org.public(), version=org.version)


@api.route("/organisations/{org_id}/users", "POST", idempotent=True)
def create_user(ctx: RequestContext, org_id: str) -> Reply:
    user = logic.create_user(ctx.require_caller(), org_id, ctx.json(schemas.CREATE_USER), ctx.header("idempotency-key"))
    # 202: the account is provisioned by a saga; poll the Location until status is active.
    return Reply(user.public(), status=202, version=user.version, location=f"/organisations/{org_id}/users/{user.id}")


@api.route("/organisations/{org_id}/users", "GET")
def list_users(ctx: RequestContext, org_id: str) -> Reply:
    params = ctx.params(LIST_PARAMS | {"status"})
    status = params.get("status")
    if status is not None:
        validate(status, schemas.USER["properties"]["status"])
    users, cursor = logic.list_users(ctx.require_caller(), org_id, parse_limit(params), params.get("cursor"), status)
    return Reply({"items": [u.public() for u in users], "next_cursor": cursor})


@api.route("/organisations/{org_id}/users/{user_id}", "GET")
def get_user(ctx: RequestContext, org_id: str, user_id: str) -> Reply:
    ctx.params(set())
    user = logic.get_user(ctx.require_caller(), org_id, user_id)
    return Reply(user.public(), version=user.version)


@api.route("/organisations/{org_id}/users/{user_id}", "PATCH")
def update_user(ctx: RequestContext, org_id: str, user_id: str) -> Reply:
    changes = ctx.json(schemas.UPDATE_USER)
    user = logic.update_user(ctx.require_caller(), org_id, user_id, changes, expected_version(ctx.header("if-match")))
    return Reply(user.public(), version=user.version)


@api.route("/organisations/{org_id}/users/{user_id}/deactivate", "POST")
def deactivate_user(ctx: RequestContext, org_id: str, user_id: str) -> Reply:
    user = logic.set_status(ctx.require_caller(), org_id, user_id, "deactivated", expected_version(ctx.header("if-match")))
    return Reply(user.public(), version=user.version)


@api.route("/organisations/{org_id}/users/{user_id}/reactivate", "POST")
def reactivate_user(ctx: RequestContext, org_id: str, user_id: str) -> Reply:
    user = logic.set_status(ctx.require_caller(), org_id, user_id, "active", expected_version(ctx.header("if-match")))
    return Reply(user.public(), version=user.version)


@api.route("/directory/organisations", "GET", public=True)
def partner_directory(ctx: RequestContext) -> Reply:
    """Partner route (API key): which organisations exist, for transfers between agencies."""
    params = ctx.params(LIST_PARAMS)
    orgs, cursor = logic.directory(parse_limit(params), params.get("cursor"))
    return Reply({"items": [o.directory_entry() for o in orgs], "next_cursor": cursor})


handler = api.lambda_handler()
