"""Reads and conditional writes of partner clients and their keys (keys: see tables.py).

Every change is one transaction with its event. Issuing or revoking a key bumps the client's
`keyring` under a condition on the value read, so two issues racing for the last free slot
cannot both pass the two-live-keys limit. The authorizer's `touch` is the one write outside a
transaction: last use, at most once a minute per key.
"""
from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, UpdateError

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.problems import Conflict, ServiceUnavailable

from ..domain.model import PartnerClient, PartnerKey
from .tables import ClientItem, KeyItem, api_key_key, client_key, client_keys_key, org_key
from .tx import Tx, page, read


def _keyring_moved() -> Conflict:
    return Conflict("Another key of this client was issued or revoked at the same time; read its keys and retry.")


# -------------------------------------------------------------------- clients
def get_client(org_id: str, client_id: str, consistent: bool = False) -> PartnerClient | None:
    try:
        return read(ClientItem.get, org_key(org_id), client_key(client_id), consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def list_clients(org_id: str, limit: int, cursor: str | None) -> tuple[list[PartnerClient], str | None]:
    return page(ClientItem, org_key(org_id), client_key(""), limit, cursor)


def create_client(client: PartnerClient, event: DomainEvent) -> None:
    (Tx().put(ClientItem.of(client), condition=ClientItem.pk.does_not_exist(),
              on_fail=Conflict("That partner client already exists."))
     .event(event).run())


def save_client(after: PartnerClient, before: PartnerClient, event: DomainEvent) -> None:
    (Tx().put(ClientItem.of(after), condition=ClientItem.version == before.version, on_fail=stale("partner client"))
     .event(event).run())


# ----------------------------------------------------------------------- keys
def get_key(key_id: str, consistent: bool = False) -> PartnerKey | None:
    try:
        return read(KeyItem.get, api_key_key(key_id), "KEY", consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def client_keys(org_id: str, client_id: str) -> list[PartnerKey]:
    """Every key of a client, oldest first (a handful: expired and revoked ones stay as a record)."""
    return read(lambda: [i.entity() for i in KeyItem.gsi1.query(client_keys_key(org_id, client_id))])


def issue_key(key: PartnerKey, client: PartnerClient, event: DomainEvent) -> None:
    (Tx().update(ClientItem.of(client), [ClientItem.keyring.set(client.keyring + 1)],
                 condition=ClientItem.keyring == client.keyring, on_fail=_keyring_moved)
     .put(KeyItem.of(key), condition=KeyItem.pk.does_not_exist(), on_fail=Conflict("That key id is taken; retry."))
     .event(event).run())


def revoke_key(key: PartnerKey, client: PartnerClient, at: str, event: DomainEvent) -> None:
    (Tx().update(ClientItem.of(client), [ClientItem.keyring.set(client.keyring + 1)],
                 condition=ClientItem.keyring == client.keyring, on_fail=_keyring_moved)
     .update(KeyItem.of(key), [KeyItem.revoked_at.set(at)], condition=KeyItem.revoked_at.does_not_exist(),
             on_fail=Conflict("The key is already revoked."))
     .event(event).run())


def touch_key(key_id: str, at: str, unless_since: str) -> bool:
    """Record a use at `at` unless one at or after `unless_since` is recorded; False when skipped."""
    item = KeyItem(pk=api_key_key(key_id), sk="KEY")
    try:
        item.update(actions=[KeyItem.last_used_at.set(at)],
                    condition=KeyItem.pk.exists() & (KeyItem.last_used_at.does_not_exist()
                                                     | (KeyItem.last_used_at < unless_since)))
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise ServiceUnavailable("The partners store is unavailable.") from exc
    return True
