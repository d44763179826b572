"""Partners' HTTP routes: parse, call one logic function, shape the reply.

  /partners/clients[/{client_id}]                 an organisation's partner clients (admins)
  /partners/clients/{client_id}/keys[...]         their API keys: issue (secret shown once), list, revoke
  /partners/me                                    the calling partner (partner key)
  /partners/feed                                  the change feed (partner key, scope feed:read)
"""
from __future__ import annotations

from shared.auth import ANY_PARTNER
from shared.clock import iso_instant
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


# ---- webhooks
WEBHOOKS = logic.webhooks.SCOPE


def _subscription(sub, secret: str | None = None, status: int | None = None) -> Reply:
    return Reply(sub.public(now_iso=iso_instant(), secret=secret), version=sub.version, status=status,
                 location=f"/partners/webhooks/{sub.id}" if secret and status == 201 else None)


@api.route("/partners/webhooks", "POST", summary="Subscribe an endpoint to events", response=schemas.SUBSCRIPTION,
           status=201, body=schemas.SUBSCRIBE, partner=WEBHOOKS, idempotent=True, etag=True, errors=(403, 409))
def subscribe(ctx: RequestContext) -> Reply:
    """The partner client (with its key): an https endpoint and the event types it wants (within the client's
    own). The answer holds the signing secret (`whsec_…`) once: deliveries are signed per Standard Webhooks 1.0
    (`webhook-id`, `webhook-timestamp`, `webhook-signature`)."""
    sub, secret = logic.subscribe(ctx.require_partner(), ctx.json(), ctx.header("idempotency-key"))
    return _subscription(sub, secret, status=201)


@api.route("/partners/webhooks", "GET", summary="List the client's webhook subscriptions",
           response=schemas.SUBSCRIPTION_PAGE, query=PAGE, partner=WEBHOOKS, errors=(403,))
def list_subscriptions(ctx: RequestContext) -> Reply:
    """The calling client's subscriptions (never their secrets)."""
    now = iso_instant()
    return page(*logic.list_subscriptions(ctx.require_partner(), ctx.query["limit"], ctx.query["cursor"]),
                render=lambda sub: sub.public(now_iso=now))


@api.route("/partners/webhooks/{subscription_id}", "GET", summary="Read a webhook subscription",
           response=schemas.SUBSCRIPTION, partner=WEBHOOKS, etag=True, errors=(403, 404))
def get_subscription(ctx: RequestContext, subscription_id: str) -> Reply:
    """Another client's or organisation's subscription answers 404."""
    return _subscription(logic.get_subscription(ctx.require_partner(), subscription_id))


@api.route("/partners/webhooks/{subscription_id}", "PATCH", summary="Change a webhook subscription",
           response=schemas.SUBSCRIPTION, body=schemas.UPDATE_SUBSCRIPTION, partner=WEBHOOKS, if_match=True,
           etag=True, errors=(403, 404))
def update_subscription(ctx: RequestContext, subscription_id: str) -> Reply:
    """Change the URL, the event types or the description; `enabled: true` enables again a subscription that was
    disabled (by the client, or by its endpoint answering 410). Send `If-Match` with the subscription's ETag."""
    changes = ctx.json()
    return _subscription(logic.update_subscription(ctx.require_partner(), subscription_id, changes,
                                                   ctx.expected_version()))


@api.route("/partners/webhooks/{subscription_id}", "DELETE", summary="Delete a webhook subscription",
           response=schemas.SUBSCRIPTION, partner=WEBHOOKS, errors=(403, 404))
def delete_subscription(ctx: RequestContext, subscription_id: str) -> Reply:
    """No more deliveries (those queued are dropped); the answer is the subscription as it was."""
    return _subscription(logic.delete_subscription(ctx.require_partner(), subscription_id))


@api.route("/partners/webhooks/{subscription_id}/secret/rotate", "POST", summary="Rotate a subscription's secret",
           response=schemas.SUBSCRIPTION, body=schemas.ROTATE_SECRET, partner=WEBHOOKS, idempotent=True, etag=True,
           errors=(403, 404))
def rotate_secret(ctx: RequestContext, subscription_id: str) -> Reply:
    """A new secret, shown once in this answer. The previous one keeps signing beside it for
    `keep_old_for_seconds` (a day by default): every delivery carries both signatures, space-separated, so the
    receiver switches secrets without losing one."""
    sub, secret = logic.rotate_secret(ctx.require_partner(), subscription_id, ctx.json())
    return _subscription(sub, secret)


@api.route("/partners/webhooks/{subscription_id}/deliveries", "GET", summary="List a subscription's deliveries",
           response=schemas.DELIVERY_PAGE, query=(*PAGE, schemas.DELIVERY_STATUS), partner=WEBHOOKS,
           errors=(403, 404))
def list_deliveries(ctx: RequestContext, subscription_id: str) -> Reply:
    """Newest event first: each delivery's state (pending, delivered, failed), tries and next try. Kept 30 days."""
    return page(*logic.list_deliveries(ctx.require_partner(), subscription_id, ctx.query["limit"],
                                       ctx.query["cursor"], ctx.query.get("status")))


@api.route("/partners/webhooks/{subscription_id}/deliveries/{delivery_id}", "GET", summary="Read a delivery",
           response=schemas.DELIVERY_DETAIL, partner=WEBHOOKS, errors=(403, 404))
def get_delivery(ctx: RequestContext, subscription_id: str, delivery_id: str) -> Reply:
    """The delivery, the body as signed, and every try: time, status, latency, the first KB of the answer and
    when the next try is due."""
    return Reply(logic.get_delivery(ctx.require_partner(), subscription_id, delivery_id))


@api.route("/partners/webhooks/{subscription_id}/attempts", "GET", summary="A subscription's delivery log",
           response=schemas.ATTEMPT_PAGE, query=PAGE, partner=WEBHOOKS, errors=(403, 404))
def list_attempts(ctx: RequestContext, subscription_id: str) -> Reply:
    """Every try of every delivery, newest event first."""
    return page(*logic.list_attempts(ctx.require_partner(), subscription_id, ctx.query["limit"], ctx.query["cursor"]))


@api.route("/partners/webhooks/{subscription_id}/deliveries/{delivery_id}/redeliver", "POST",
           summary="Send a delivery again", response=schemas.DELIVERY, status=202, partner=WEBHOOKS,
           idempotent=True, errors=(403, 404, 409))
def redeliver(ctx: RequestContext, subscription_id: str, delivery_id: str) -> Reply:
    """Now, whatever its state, as a new round of the retry schedule; the `webhook-id` stays the same, so a
    receiver that had processed it recognises it."""
    delivery = logic.redeliver(ctx.require_partner(), subscription_id, delivery_id)
    return Reply(delivery.public(), location=f"/partners/webhooks/{subscription_id}/deliveries/{delivery.id}")


@api.route("/partners/webhooks/{subscription_id}/redeliver", "POST", summary="Send a time range's deliveries again",
           response=schemas.REDELIVERED, status=202, body=schemas.REDELIVER_RANGE, partner=WEBHOOKS,
           idempotent=True, errors=(403, 404, 409))
def redeliver_range(ctx: RequestContext, subscription_id: str) -> Reply:
    """The deliveries of events between `since` and `until` (the failed ones unless `status` says otherwise),
    oldest first, up to 500 a call: after an outage, catch up without missing one."""
    return Reply(logic.redeliver_range(ctx.require_partner(), subscription_id, ctx.json()))


handler = api.lambda_handler()
