"""Partners' HTTP routes: parse, call one logic function, shape the reply.

  /partners/clients[/{client_id}]                 an organisation's partner clients (admins)
  /partners/clients/{client_id}/keys[...]         their API keys: issue (secret shown once), list, revoke
  /partners/feed                                  the change feed (partner key, scope feed:read)
"""
from __future__ import annotations

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


# ---- feed


handler = api.lambda_handler()
