"""Partners' HTTP routes: parse, call one logic function, shape the reply.

  /partners/clients[/{client_id}]                 an organisation's partner clients (admins)
  /partners/clients/{client_id}/keys[...]         their API keys: issue (secret shown once), list, revoke
  /partners/me                                    the calling partner (partner key)
  /partners/feed                                  the change feed (partner key, scope feed:read)
"""
from __future__ import annotations

from shared.auth import ANY_PARTNER
from shared.http import Api, Reply, RequestContext, page
from shared.pagination import PAGE

from . import logic, schemas

api = Api("partners")
app = api.app


def _client(client) -> Reply:
    return Reply(client.public(), version=client.version)


# ---- clients
@api.route("/partners/clients", "POST", summary="Register a partner client", response=schemas.CLIENT, status=201,
           body=schemas.REGISTER_CLIENT, idempotent=True, etag=True, errors=(403, 409))
def register_client(ctx: RequestContext) -> Reply:
    """The organisation's admins: a partner system (another agency, a scanner, a sensor gateway, a business
    system) with the partner routes it may call (`scopes`), the events it may read (`event_types`) and its hard
    quotas. It calls with API keys issued under it."""
    client = logic.register_client(ctx.require_caller(), ctx.json(), ctx.header("idempotency-key"))
    return Reply(client.public(), version=client.version, location=f"/partners/clients/{client.id}")


@api.route("/partners/clients", "GET", summary="List partner clients", response=schemas.CLIENT_PAGE, query=PAGE,
           errors=(403,))
def list_clients(ctx: RequestContext) -> Reply:
    """Admins and auditors: the organisation's partner clients."""
    return page(*logic.list_clients(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"]))


@api.route("/partners/clients/{client_id}", "GET", summary="Read a partner client", response=schemas.CLIENT,
           etag=True, errors=(403, 404))
def get_client(ctx: RequestContext, client_id: str) -> Reply:
    """Admins and auditors of the organisation (another organisation's client answers 404)."""
    return _client(logic.get_client(ctx.require_caller(), client_id))


@api.route("/partners/clients/{client_id}", "PATCH", summary="Change a partner client", response=schemas.CLIENT,
           body=schemas.UPDATE_CLIENT, if_match=True, etag=True, errors=(403, 404))
def update_client(ctx: RequestContext, client_id: str) -> Reply:
    """Admins: rename, change the contact, scopes, event types or quotas, or disable the client (its keys are
    refused within a minute). Send `If-Match` with the client's ETag."""
    changes = ctx.json()
    return _client(logic.update_client(ctx.require_caller(), client_id, changes, ctx.expected_version()))


# ---- keys
@api.route("/partners/clients/{client_id}/keys", "POST", summary="Issue an API key", response=schemas.KEY_ISSUED,
           status=201, body=schemas.ISSUE_KEY, errors=(403, 404, 409))
def issue_key(ctx: RequestContext, client_id: str) -> Reply:
    """Admins: a new key for the client, at most two live at once (issue the successor, move the partner to it,
    revoke the old one). `secret` is in this response only: it is kept as a SHA-256 hash, so it cannot be shown
    again. No Idempotency-Key: a replayed answer would have to keep the secret. A retry issues another key."""
    key, secret = logic.issue_key(ctx.require_caller(), client_id, ctx.json())
    return Reply({"key": key, "secret": secret}, location=f"/partners/clients/{client_id}/keys")


@api.route("/partners/clients/{client_id}/keys", "GET", summary="List a client's API keys", response=schemas.KEY_LIST,
           errors=(403, 404))
def list_keys(ctx: RequestContext, client_id: str) -> Reply:
    """Admins and auditors: prefixes, status, expiry and last use (recorded at most once a minute) of every key
    of the client, revoked and expired ones included; never a secret."""
    return Reply({"items": logic.list_keys(ctx.require_caller(), client_id)})


@api.route("/partners/clients/{client_id}/keys/{key_id}/revoke", "POST", summary="Revoke an API key",
           response=schemas.KEY, errors=(403, 404, 409))
def revoke_key(ctx: RequestContext, client_id: str, key_id: str) -> Reply:
    """Admins: the key stops working within a minute (the partner authorizer's look-up cache). Revoking a
    revoked key answers the same again."""
    return Reply(logic.revoke_key(ctx.require_caller(), client_id, key_id))


@api.route("/partners/me", "GET", summary="Partner: who am I", response=schemas.PARTNER, partner=ANY_PARTNER)
def partner_me(ctx: RequestContext) -> Reply:
    """For partner systems (API key): the client the key belongs to, its organisation, scopes and event types,
    and the key's id. Every partner answer carries `RateLimit` and `RateLimit-Policy`."""
    return Reply(logic.partner_me(ctx.require_partner()))


# ---- feed
@api.route("/partners/feed", "GET", summary="Partner: the change feed", response=schemas.FEED_PAGE,
           query=schemas.FEED_QUERY, partner="feed:read")
def read_feed(ctx: RequestContext) -> Reply:
    """For partner systems (API key, scope `feed:read`): the organisation's domain events the client's event
    types allow, oldest first, after the cursor `after`. Follow `next_cursor` to catch up; with `wait`, an
    empty answer waits up to that many seconds for the next event (a long poll)."""
    items, cursor = logic.read_feed(ctx.require_partner(), ctx.query["after"], ctx.query["limit"], ctx.query["wait"])
    return Reply({"items": items, "next_cursor": cursor})


handler = api.lambda_handler()
