"""Identity's HTTP routes: parse, call one logic function, shape the reply."""
from __future__ import annotations

from shared.http import Api, Reply, RequestContext, page
from shared.pagination import PAGE

from . import logic, schemas

api = Api("identity")
app = api.app


@api.route("/me", "GET", summary="Who am I", response=schemas.ME)
def get_me(ctx: RequestContext) -> Reply:
    """The caller's profile, organisation and roles. Roles and organisation come from the token; a caller the
    identity provider knows but who has no profile yet answers with `user.status: unregistered`."""
    return Reply(logic.me(ctx.require_caller()))


@api.route("/organisations", "POST", summary="Create an organisation", response=schemas.ORGANISATION_CREATED,
           status=201, body=schemas.CREATE_ORGANISATION, idempotent=True, etag=True, errors=(403, 409))
def create_organisation(ctx: RequestContext) -> Reply:
    """System administrators only. With `admin`, the organisation's first admin is registered in the same
    write and provisioned by the user-provisioning saga (poll the user until `active`). With an
    `Idempotency-Key`, a retry returns the first response and creates nothing twice."""
    org, admin = logic.create_organisation(ctx.require_caller(), ctx.json(),
                                           ctx.header("idempotency-key"))
    body = {"organisation": org.public()} | ({"admin": admin.public()} if admin else {})
    return Reply(body, version=org.version, location=f"/organisations/{org.id}")


@api.route("/organisations", "GET", summary="List organisations", response=schemas.ORGANISATION_PAGE, query=PAGE)
def list_organisations(ctx: RequestContext) -> Reply:
    """System administrators page through every organisation; anyone else gets a single page holding their own
    organisation."""
    return page(*logic.list_organisations(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"]))


@api.route("/organisations/{org_id}", "GET", summary="Read an organisation", response=schemas.ORGANISATION,
           etag=True, errors=(404,))
def get_organisation(ctx: RequestContext, org_id: str) -> Reply:
    """System administrators read any organisation; others only their own (another organisation answers 404)."""
    org = logic.get_organisation(ctx.require_caller(), org_id)
    return Reply(org.public(), version=org.version)


@api.route("/organisations/{org_id}", "PATCH", summary="Change an organisation", response=schemas.ORGANISATION,
           body=schemas.UPDATE_ORGANISATION, if_match=True, etag=True, errors=(403, 404, 409))
def update_organisation(ctx: RequestContext, org_id: str) -> Reply:
    """System administrators only. Rename, move under another parent (never under itself or a descendant) or
    deactivate."""
    changes = ctx.json()
    org = logic.update_organisation(ctx.require_caller(), org_id, changes, ctx.expected_version())
    return Reply(org.public(), version=org.version)


@api.route("/organisations/{org_id}/users", "POST", summary="Register a user", response=schemas.USER, status=202,
           body=schemas.CREATE_USER, idempotent=True, etag=True, errors=(403, 404, 409))
def create_user(ctx: RequestContext, org_id: str) -> Reply:
    """The organisation's admins only. Answers 202 with the user in `provisioning`: the identity-provider
    account is created by a saga. Poll `Location` until `status` is `active` (or `failed`, with `failure`).
    With an `Idempotency-Key`, a retry returns the first response and registers nobody twice."""
    user = logic.create_user(ctx.require_caller(), org_id, ctx.json(), ctx.header("idempotency-key"))
    # 202: the account is provisioned by a saga; poll the Location until status is active.
    return Reply(user.public(), version=user.version, location=f"/organisations/{org_id}/users/{user.id}")


@api.route("/organisations/{org_id}/users", "GET", summary="List an organisation's users",
           response=schemas.USER_PAGE, query=(*PAGE, schemas.USER_STATUS), errors=(403, 404))
def list_users(ctx: RequestContext, org_id: str) -> Reply:
    """Admins and auditors of the organisation, optionally filtered by status."""
    return page(*logic.list_users(ctx.require_caller(), org_id, ctx.query["limit"], ctx.query["cursor"],
                                  ctx.query["status"]))


@api.route("/organisations/{org_id}/users/{user_id}", "GET", summary="Read a user", response=schemas.USER,
           etag=True, errors=(403, 404))
def get_user(ctx: RequestContext, org_id: str, user_id: str) -> Reply:
    """Admins and auditors of the organisation, and the user themself."""
    user = logic.get_user(ctx.require_caller(), org_id, user_id)
    return Reply(user.public(), version=user.version)


@api.route("/organisations/{org_id}/users/{user_id}", "PATCH", summary="Change a user's name or roles",
           response=schemas.USER, body=schemas.UPDATE_USER, if_match=True, etag=True, errors=(403, 404, 409))
def update_user(ctx: RequestContext, org_id: str, user_id: str) -> Reply:
    """The organisation's admins only; roles of a user who is not active cannot change, and an admin cannot
    remove their own admin role."""
    changes = ctx.json()
    user = logic.update_user(ctx.require_caller(), org_id, user_id, changes, ctx.expected_version())
    return Reply(user.public(), version=user.version)


@api.route("/organisations/{org_id}/users/{user_id}/deactivate", "POST", summary="Deactivate a user",
           response=schemas.USER, if_match=True, etag=True, errors=(403, 404, 409))
def deactivate_user(ctx: RequestContext, org_id: str, user_id: str) -> Reply:
    """The organisation's admins only. The account is disabled at the identity provider and its sessions end;
    an admin cannot deactivate themself. Send `If-Match` with the user's ETag."""
    user = logic.set_status(ctx.require_caller(), org_id, user_id, "deactivated", ctx.expected_version())
    return Reply(user.public(), version=user.version)


@api.route("/organisations/{org_id}/users/{user_id}/reactivate", "POST", summary="Reactivate a user",
           response=schemas.USER, if_match=True, etag=True, errors=(403, 404, 409))
def reactivate_user(ctx: RequestContext, org_id: str, user_id: str) -> Reply:
    """The organisation's admins only: a deactivated user becomes active again. Send `If-Match` with the
    user's ETag."""
    user = logic.set_status(ctx.require_caller(), org_id, user_id, "active", ctx.expected_version())
    return Reply(user.public(), version=user.version)


@api.route("/directory/organisations", "GET", summary="Partner directory of organisations",
           response=schemas.DIRECTORY_PAGE, query=PAGE, partner="directory:read")
def partner_directory(ctx: RequestContext) -> Reply:
    """For partner systems (partner key, scope `directory:read`): the active organisations' ids, names, types and parents, e.g. to address
    a transfer between agencies. Nothing else about them is disclosed."""
    orgs, cursor = logic.directory(ctx.query["limit"], ctx.query["cursor"])
    return page(orgs, cursor, render=lambda org: org.directory_entry())


handler = api.lambda_handler()
