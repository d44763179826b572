"""JSON Schemas of partners' requests and responses.

The same dicts validate requests (shared.validation) and are published in the OpenAPI
document (infrastructure/api/build_openapi.py), so they cannot drift. COMPONENTS and
PARAMETERS name what the document publishes; PATH_PARAMETERS describe the routes' path parameters.
"""
from shared.auth import PARTNER_SCOPES
from shared.pagination import LIMIT, page_of
from shared.query import param

from .domain.feed import MAX_WAIT_SECONDS
from .domain.model import CLIENT_STATUSES

NAME = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}
EMAIL = {"type": "string", "maxLength": 254, "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$"}
SCOPE = {"type": "string", "enum": sorted(PARTNER_SCOPES)}
EVENT_TYPE = {"type": "string", "pattern": r"^(\*|[a-z][a-z_]{1,31}\.(\*|[A-Z][A-Za-z0-9]{1,63}))$",
              "description": "`<capability>.<EventType>` (e.g. `stacks.BoxPlaced`), `<capability>.*` or `*`: "
                             "capabilities added later are matched too."}
QUOTA = {"type": "object", "additionalProperties": False,
         "properties": {"per_minute": {"type": "integer", "minimum": 1, "maximum": 100_000, "default": 60},
                        "per_day": {"type": "integer", "minimum": 1, "maximum": 10_000_000, "default": 10_000}},
         "description": "Hard limits, counted per client across all its keys (UTC minutes and days)."}
CONTACT = {"type": "object", "additionalProperties": False, "required": ["name", "email"],
           "properties": {"name": NAME, "email": EMAIL}}
_NULLABLE_STRING = {"type": ["string", "null"]}
_STAMPS = {"version": {"type": "integer", "minimum": 1}, "created_at": {"type": "string"},
           "updated_at": {"type": "string"}}

# ------------------------------------------------------------------ requests
REGISTER_CLIENT = {
    "type": "object", "additionalProperties": False, "required": ["name", "contact"],
    "properties": {
        "name": NAME, "contact": CONTACT,
        "scopes": {"type": "array", "maxItems": len(PARTNER_SCOPES), "uniqueItems": True, "items": SCOPE,
                   "description": "The partner routes the client may call."},
        "event_types": {"type": "array", "maxItems": 100, "uniqueItems": True, "items": EVENT_TYPE,
                        "description": "The domain events the client may read (feed) or receive."},
        "quota": QUOTA,
    },
}

# A change names only what changes: no defaults filled in.
QUOTA_CHANGE = {**QUOTA, "minProperties": 1,
                "properties": {name: {k: v for k, v in spec.items() if k != "default"}
                               for name, spec in QUOTA["properties"].items()}}

UPDATE_CLIENT = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {**REGISTER_CLIENT["properties"], "quota": QUOTA_CHANGE,
                   "status": {"type": "string", "enum": list(CLIENT_STATUSES),
                              "description": "`disabled` refuses every key of the client (within a minute)."}},
}

ISSUE_KEY = {
    "type": "object", "additionalProperties": False,
    "properties": {"expires_in_days": {"type": "integer", "minimum": 1, "maximum": 730, "default": 365,
                                       "description": "The key stops working after this many days."}},
}

# ----------------------------------------------------------------- responses
CLIENT = {
    "type": "object", "required": ["id", "org_id", "name", "contact", "scopes", "event_types", "quota", "status",
                                   "version"],
    "properties": {"id": {"type": "string"}, "org_id": {"type": "string"}, "name": {"type": "string"},
                   "contact": CONTACT, "scopes": {"type": "array", "items": {"type": "string"}},
                   "event_types": {"type": "array", "items": {"type": "string"}},
                   "quota": {"type": "object", "required": ["per_minute", "per_day"],
                             "properties": {"per_minute": {"type": "integer"}, "per_day": {"type": "integer"}}},
                   "status": {"type": "string", "enum": list(CLIENT_STATUSES)}, "created_by": {"type": "string"},
                   **_STAMPS},
}

KEY = {
    "type": "object", "required": ["id", "client_id", "prefix", "status", "created_at"],
    "properties": {"id": {"type": "string", "description": "The key's readable prefix (`rmk_<id>_…`)."},
                   "client_id": {"type": "string"}, "prefix": {"type": "string"},
                   "status": {"type": "string", "enum": ["active", "expired", "revoked"]},
                   "created_at": {"type": "string"}, "expires_at": _NULLABLE_STRING, "revoked_at": _NULLABLE_STRING,
                   "last_used_at": {**_NULLABLE_STRING, "description": "Recorded at most once a minute."},
                   "created_by": {"type": "string"}},
}

KEY_ISSUED = {
    "type": "object", "required": ["key", "secret"],
    "properties": {"key": KEY, "secret": {"type": "string", "description": "The API key. Shown in this response "
                                                                          "only: store it now; it is kept as a hash."}},
}

PARTNER = {
    "type": "object", "required": ["client_id", "org_id", "scopes", "event_types"],
    "properties": {"client_id": {"type": "string"}, "org_id": {"type": "string"}, "key_id": _NULLABLE_STRING,
                   "scopes": {"type": "array", "items": {"type": "string"}},
                   "event_types": {"type": "array", "items": {"type": "string"}}},
}

FEED_ENTRY = {
    "type": "object", "required": ["cursor", "id", "type", "source", "occurred_at", "subjects", "payload"],
    "properties": {
        "cursor": {"type": "string", "description": "Resume right after this event (`after=`)."},
        "id": {"type": "string", "description": "The event id: the same event is never listed twice."},
        "type": {"type": "string"}, "source": {"type": "string"}, "occurred_at": {"type": "string"},
        "subjects": {"type": "array", "items": {"type": "object"}}, "payload": {"type": "object"},
        "actor": {"type": "object"}, "correlation_id": _NULLABLE_STRING},
}

FEED_PAGE = {
    "type": "object", "required": ["items", "next_cursor"],
    "properties": {"items": {"type": "array", "items": FEED_ENTRY},
                   "next_cursor": {"type": "string", "description": "Always given: pass it as `after` to read on."}},
}

CLIENT_PAGE = page_of(CLIENT)
KEY_LIST = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": KEY}}}

# ------------------------------------------------------------ query parameters
FEED_AFTER = param("after", {"type": "string", "maxLength": 2048},
                   "Opaque cursor (`next_cursor`, or an entry's `cursor`): the events after it. Absent: from the "
                   "oldest kept (30 days).")
FEED_WAIT = param("wait", {"type": "integer", "minimum": 0, "maximum": MAX_WAIT_SECONDS, "default": 0},
                  f"Long poll: when nothing is new, wait up to this many seconds (at most {MAX_WAIT_SECONDS}) "
                  "for an event before answering.")
FEED_QUERY = (FEED_AFTER, LIMIT, FEED_WAIT)

# ------------------------------------------------------------ published
COMPONENTS = {
    "PartnerClient": CLIENT, "PartnerClientPage": CLIENT_PAGE, "RegisterPartnerClient": REGISTER_CLIENT,
    "UpdatePartnerClient": UPDATE_CLIENT, "PartnerKey": KEY, "PartnerKeyList": KEY_LIST, "IssuePartnerKey": ISSUE_KEY,
    "PartnerKeyIssued": KEY_ISSUED, "Partner": PARTNER, "FeedEntry": FEED_ENTRY, "FeedPage": FEED_PAGE,
}
PARAMETERS = {"FeedAfter": FEED_AFTER, "FeedWait": FEED_WAIT}
PATH_PARAMETERS = {
    "client_id": "Partner client id.",
    "key_id": "API key id (its readable prefix).",
}


# ---- webhooks
from .domain.deliveries import DELIVERY_STATUSES, OUTCOMES  # noqa: E402
from .domain.webhooks import (DEFAULT_ROTATION_WINDOW_SECONDS, MAX_ROTATION_WINDOW_SECONDS,  # noqa: E402
                              SUBSCRIPTION_STATUSES)
from shared.query import param  # noqa: E402

WEBHOOK_URL = {"type": "string", "minLength": 8, "maxLength": 2048, "format": "uri",
               "description": "Where deliveries are POSTed: https, to a host whose every address is public "
                              "(loopback, private, link-local, multicast and reserved addresses are refused)."}
SUBSCRIBE = {
    "type": "object", "additionalProperties": False, "required": ["url", "event_types"],
    "properties": {
        "url": WEBHOOK_URL,
        "event_types": {"type": "array", "minItems": 1, "maxItems": 100, "uniqueItems": True, "items": EVENT_TYPE,
                        "description": "Within the client's own event types."},
        "description": {"type": ["string", "null"], "maxLength": 500},
        "enabled": {"type": "boolean", "default": True},
    },
}
UPDATE_SUBSCRIPTION = {"type": "object", "additionalProperties": False, "minProperties": 1,
                       "properties": SUBSCRIBE["properties"]}
ROTATE_SECRET = {
    "type": "object", "additionalProperties": False,
    "properties": {"keep_old_for_seconds": {
        "type": "integer", "minimum": 0, "maximum": MAX_ROTATION_WINDOW_SECONDS,
        "default": DEFAULT_ROTATION_WINDOW_SECONDS,
        "description": "How long the previous secret keeps signing beside the new one (0: it ends now)."}},
}
REDELIVER_RANGE = {
    "type": "object", "additionalProperties": False, "required": ["since", "until"],
    "properties": {"since": {"type": "string", "format": "date-time"},
                   "until": {"type": "string", "format": "date-time"},
                   "status": {"type": "string", "enum": ["failed", "delivered", "pending", "all"], "default": "failed",
                              "description": "Which deliveries of those events to send again."}},
}

SUBSCRIPTION = {
    "type": "object", "required": ["id", "client_id", "url", "event_types", "status", "secrets", "version"],
    "properties": {
        "id": {"type": "string"}, "client_id": {"type": "string"}, "url": {"type": "string"},
        "event_types": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string", "enum": list(SUBSCRIPTION_STATUSES)},
        "disabled_reason": _NULLABLE_STRING, "description": _NULLABLE_STRING,
        "secrets": {"type": "array", "description": "The secrets that sign now (the newest first); never their value.",
                    "items": {"type": "object", "properties": {"created_at": {"type": "string"},
                                                               "expires_at": _NULLABLE_STRING,
                                                               "fingerprint": {"type": "string", "description":
                                                                   "The start of the secret's SHA-256: which secret it is."}}}},
        "secret": {"type": "string", "description": "`whsec_…`: only in the answer that made it (subscribe, rotate). "
                                                    "Store it now: it is not shown again."},
        **_STAMPS},
}
SUBSCRIPTION_PAGE = page_of(SUBSCRIPTION)
ATTEMPT = {
    "type": "object", "required": ["delivery_id", "number", "at", "outcome", "status", "latency_ms"],
    "properties": {"delivery_id": {"type": "string"}, "number": {"type": "integer"}, "at": {"type": "string"},
                   "outcome": {"type": "string", "enum": list(OUTCOMES)},
                   "status": {"type": ["integer", "null"], "description": "The receiver's HTTP status; null when none came."},
                   "latency_ms": {"type": "integer"},
                   "response_excerpt": {"type": "string", "description": "The first KB of the receiver's answer."},
                   "error": _NULLABLE_STRING, "next_attempt_at": _NULLABLE_STRING},
}
ATTEMPT_PAGE = page_of(ATTEMPT)
DELIVERY = {
    "type": "object", "required": ["id", "subscription_id", "event_id", "event_type", "status", "attempts"],
    "properties": {"id": {"type": "string", "description": "The `webhook-id` of every try."},
                   "subscription_id": {"type": "string"}, "event_id": {"type": "string"},
                   "event_type": {"type": "string"}, "status": {"type": "string", "enum": list(DELIVERY_STATUSES)},
                   "attempts": {"type": "integer"}, "next_attempt_at": _NULLABLE_STRING,
                   "last_status": {"type": ["integer", "null"]}, "last_outcome": _NULLABLE_STRING,
                   "delivered_at": _NULLABLE_STRING, "created_at": {"type": "string"},
                   "updated_at": {"type": "string"}},
}
DELIVERY_PAGE = page_of(DELIVERY)
DELIVERY_DETAIL = {
    "type": "object", "required": [*DELIVERY["required"], "payload"],
    "properties": {**DELIVERY["properties"],
                   "attempts": {"type": "array", "items": ATTEMPT, "description": "Every try, oldest first."},
                   "payload": {"type": "string", "description": "The body as sent and signed."}},
}
REDELIVERED = {
    "type": "object", "required": ["redelivered", "delivery_ids", "continue_since"],
    "properties": {"redelivered": {"type": "integer"}, "delivery_ids": {"type": "array", "items": {"type": "string"}},
                   "continue_since": {**_NULLABLE_STRING,
                                      "description": "More deliveries lie in the range: send again from here."}},
}
DELIVERY_STATUS = param("status", {"type": "string", "enum": list(DELIVERY_STATUSES)}, "Only deliveries in this state.")

COMPONENTS.update({
    "WebhookSubscription": SUBSCRIPTION, "WebhookSubscriptionPage": SUBSCRIPTION_PAGE, "Subscribe": SUBSCRIBE,
    "UpdateWebhookSubscription": UPDATE_SUBSCRIPTION, "RotateWebhookSecret": ROTATE_SECRET,
    "WebhookDelivery": DELIVERY, "WebhookDeliveryPage": DELIVERY_PAGE, "WebhookDeliveryDetail": DELIVERY_DETAIL,
    "WebhookAttempt": ATTEMPT, "WebhookAttemptPage": ATTEMPT_PAGE, "RedeliverRange": REDELIVER_RANGE,
    "Redelivered": REDELIVERED,
})
PARAMETERS.update({"DeliveryStatus": DELIVERY_STATUS})
PATH_PARAMETERS.update({"subscription_id": "Webhook subscription id.",
                        "delivery_id": "Delivery id (`msg_…`, the `webhook-id` header of its tries)."})
