"""Partners' use cases, as the HTTP layer (app.py), the partner authorizer (authorizer.py) and the
event consumer (consumer.py) call them. Functions take the caller (or the partner) and plain
data, return domain objects or plain dicts, and know nothing of HTTP.

Each concern lives in its own module under `logic/`: clients (registration and changes, and the
calling partner), keys (issue, list, revoke), feed (the consumer's copy of every event, and the
partners' reads); common holds the events and the managers' guard they share. `access` (the
partner authorizer's decision and quota count) is not re-exported: only the authorizer imports it.
"""
from __future__ import annotations

from .clients import get_client, list_clients, partner_me, register_client, update_client
from .feed import read_feed, record_event, record_events
from .keys import issue_key, list_keys, revoke_key

__all__ = ["get_client", "list_clients", "partner_me", "register_client", "update_client", "read_feed",
           "record_event", "record_events", "issue_key", "list_keys", "revoke_key"]

# ---- webhooks
from .webhooks import (delete_subscription, deliver, fan_out, get_delivery, get_subscription,  # noqa: E402
                       list_attempts, list_deliveries, list_subscriptions, matching, redeliver, redeliver_range,
                       resume_stalled, rotate_secret, subscribe, update_subscription)

__all__ += ["delete_subscription", "deliver", "fan_out", "get_delivery", "get_subscription", "list_attempts",
            "list_deliveries", "list_subscriptions", "matching", "redeliver", "redeliver_range", "resume_stalled",
            "rotate_secret",
            "subscribe", "update_subscription"]
