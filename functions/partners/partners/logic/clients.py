"""Partner clients: registered, read and changed by their organisation's admins."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller, Partner, require_found
from shared.concurrency import require_version
from shared.events import now_iso
from shared.idempotency import derived_id

from ..data import clients as store
from ..domain.model import Contact, PartnerClient, Quota
from .common import client_subject, event, managing_org, reading_org


def register_client(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> PartnerClient:
    org_id = managing_org(caller)
    at = now_iso()
    client = PartnerClient(
        org_id=org_id, id=derived_id(f"partner-client|{org_id}|{caller.user_id}", idempotency_key),
        name=body["name"].strip(), contact=Contact(**body["contact"]), scopes=tuple(body.get("scopes") or ()),
        event_types=tuple(body.get("event_types") or ()), quota=Quota(**(body.get("quota") or {})),
        created_by=caller.user_id, created_at=at, updated_at=at)
    store.create_client(client, event("PartnerClientRegistered", [client_subject(client)], client.public(),
                                      caller.as_actor()))
    return client


def get_client(caller: Caller, client_id: str) -> PartnerClient:
    return require_found(store.get_client(reading_org(caller), client_id), "partner client")


def list_clients(caller: Caller, limit: int, cursor: str | None):
    return store.list_clients(reading_org(caller), limit, cursor)


def update_client(caller: Caller, client_id: str, changes: dict[str, Any], expected_version: int) -> PartnerClient:
    org_id = managing_org(caller)
    before = require_found(store.get_client(org_id, client_id, consistent=True), "partner client")
    require_version(before, expected_version, "partner client")
    fields: dict[str, Any] = {}
    for name in ("scopes", "event_types"):
        if name in changes:
            fields[name] = tuple(changes[name])
    if "name" in changes:
        fields["name"] = changes["name"].strip()
    if "contact" in changes:
        fields["contact"] = Contact(**changes["contact"])
    if "quota" in changes:
        fields["quota"] = Quota(**{**before.quota.public(), **changes["quota"]})
    if "status" in changes:
        fields["status"] = changes["status"]
    after = before.with_changes(**fields, version=before.version + 1, updated_at=now_iso())
    store.save_client(after, before, event("PartnerClientChanged", [client_subject(after)],
                                           {"client_id": after.id, "changed": sorted(changes), **after.public()},
                                           caller.as_actor()))
    return after


def partner_me(partner: Partner) -> dict[str, Any]:
    """The calling partner as the authorizer saw it (no read: that is what the request context is for)."""
    return {"client_id": partner.client_id, "org_id": partner.org_id, "key_id": partner.key_id,
            "scopes": sorted(partner.scopes), "event_types": list(partner.event_types)}
