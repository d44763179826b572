"""What every partners use case shares: its events and their subjects, and who may manage clients."""
from __future__ import annotations

from shared.auth import Caller
from shared.events import EventFactory, Subject

from ..domain.model import PartnerClient

event = EventFactory("partners")
MANAGERS = ("admin",)  # register clients, issue and revoke keys
READERS = ("admin", "auditor")


def client_subject(client: PartnerClient) -> Subject:
    return Subject("partner_client", client.id, client.org_id)


def managing_org(caller: Caller) -> str:
    return caller.require_org(*MANAGERS, holdings="partner clients")


def reading_org(caller: Caller) -> str:
    return caller.require_org(*READERS, holdings="partner clients")
