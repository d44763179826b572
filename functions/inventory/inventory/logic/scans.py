"""Scanning sessions and the shelves they post, by a person or by a partner scanner bound to a session."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller, Partner, require_found
from shared.events import now_iso
from shared.idempotency import derived_id
from shared.problems import Conflict, Forbidden, NotFound, ValidationFailed

from ..data import campaigns as store
from ..domain.model import Campaign, Session
from ..domain.rules import reader_org, scanner_org
from .common import campaign_subject, event


def _open_campaign(org_id: str, campaign_id: str) -> Campaign:
    campaign = require_found(store.get_campaign(org_id, campaign_id), "campaign")
    if campaign.status != "open":
        raise Conflict(f"The campaign is {campaign.status}; scanning is over.")
    return campaign


def open_session(caller: Caller, campaign_id: str, body: dict[str, Any], idempotency_key: str | None) -> Session:
    org_id = scanner_org(caller)
    campaign = _open_campaign(org_id, campaign_id)
    session = Session(org_id=org_id, campaign_id=campaign.id,
                      id=derived_id(f"session|{campaign.id}|{caller.user_id}", idempotency_key),
                      name=(body.get("name") or "").strip() or None, device=body.get("device"),
                      opened_by=caller.user_id, created_at=now_iso(), partner_client_id=body.get("partner_client_id"))
    store.create_session(session, campaign, event("ScanSessionOpened", [campaign_subject(campaign)], session.public(),
                                                  caller.as_actor()))
    return session


def list_sessions(caller: Caller, campaign_id: str, limit: int, cursor: str | None):
    org_id = reader_org(caller)
    require_found(store.get_campaign(org_id, campaign_id), "campaign")
    return store.list_sessions(org_id, campaign_id, limit, cursor)


def post_scans(caller: Caller, campaign_id: str, session_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """What was found on one shelf. A post replaces the earlier post of the same shelf and batch
    (a rescan of a shelf is its recount); a shelf too big for one call is sent in batches 1, 2, ..."""
    org_id = scanner_org(caller)
    campaign = require_found(store.get_campaign(org_id, campaign_id), "campaign")
    require_found(store.get_session(org_id, campaign_id, session_id), "session")
    return _post_scans(campaign, session_id, body, caller.user_id)


def partner_scans(partner: Partner, session_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A partner scanner posts a shelf to the session a stack manager bound to its partner client
    (any of the client's keys: the binding survives key rotation)."""
    binding = store.session_binding(session_id)
    if binding is None or binding.org_id != partner.org_id:
        raise NotFound("No scanning session with that id is bound to a partner scanner.")
    if binding.partner_client_id != partner.client_id:
        raise Forbidden("This session is bound to another partner client.")
    campaign = require_found(store.get_campaign(binding.org_id, binding.campaign_id), "campaign")
    return _post_scans(campaign, session_id, body, f"partner:{partner.client_id}")


def _post_scans(campaign: Campaign, session_id: str, body: dict[str, Any], by: str) -> dict[str, Any]:
    org_id, campaign_id = campaign.org_id, campaign.id
    shelf = body["location_id"]
    if len(shelf.split("-")) != 4:
        raise ValidationFailed(f"location_id: {shelf} is not a shelf (repository-range-section-shelf).",
                               errors=[{"field": "location_id", "message": "not a shelf"}])
    if not campaign.scope.covers(shelf):
        raise ValidationFailed(f"location_id: shelf {shelf} is outside the campaign's scope.",
                               errors=[{"field": "location_id", "message": "outside the campaign's scope"}])
    if campaign.status != "open":
        raise Conflict(f"The campaign is {campaign.status}; scanning is over.")
    barcodes = list(dict.fromkeys(body["barcodes"]))  # a scanner reading a label twice counts once
    batch = body.get("batch", 1)
    before = store.scan_batch(org_id, campaign_id, shelf, batch)
    dropped = sorted(set(before) - set(barcodes))
    store.save_scan(org_id, campaign_id, session_id, shelf, batch, barcodes, dropped, now_iso(), by)
    return {"campaign_id": campaign_id, "session_id": session_id, "location_id": shelf, "batch": batch,
            "received": len(body["barcodes"]), "distinct": len(barcodes), "replaced": bool(before),
            "dropped": len(dropped)}
