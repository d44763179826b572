"""Partners' use cases, as the HTTP layer (app.py), the partner authorizer (authorizer.py) and the
event consumer (consumer.py) call them. Functions take the caller (or the partner) and plain
data, return domain objects or plain dicts, and know nothing of HTTP.

Each concern lives in its own module under `logic/`: clients (registration and changes), keys
(issue, list, revoke); common holds the events and the managers' guard they share.
"""
from __future__ import annotations

from .clients import get_client, list_clients, register_client, update_client

__all__ = ["get_client", "list_clients", "register_client", "update_client"]
