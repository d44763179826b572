"""Reads and conditional writes of identity items; every change carries its event.

Each write method takes the domain entity and the domain event and commits both
in one TransactWriteItems (the outbox). Conditions encode the invariants:
organisations and e-mail claims are created once, updates match the version the
caller read, status moves only from the expected status.
"""
from __future__ import annotations

from pynamodb.exceptions import PynamoDBException, UpdateError

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.pagination import decode_cursor, encode_cursor, typed_key
from shared.problems import Conflict, ServiceUnavailable

from ..domain.model import Organisation, User
from .tables import (IDP_SYNC, ORGS, PROVISIONING, EmailClaim, OrganisationItem, UserItem, email_key, org_key,
                     user_key)
from .tx import Tx, page, read

__all__ = ["IDP_SYNC", "PROVISIONING"]  # the sparse index's values, for users_waiting()


def _email_claim(user: User) -> EmailClaim:
    return EmailClaim(pk=email_key(user.email), sk="EMAIL", user_id=user.id, org_id=user.org_id)


def _email_taken(user: User) -> Conflict:
    return Conflict(f"The e-mail address {user.email} is already registered.", errors=[{"field": "email", "message": "already registered"}])


# -------------------------------------------------------------- organisations
def get_organisation(org_id: str) -> Organisation | None:
    try:
        return OrganisationItem.get(org_key(org_id), "ORG").entity()
    except OrganisationItem.DoesNotExist:
        return None
    except PynamoDBException as exc:
        raise ServiceUnavailable("The identity store is unavailable; retry shortly.") from exc


def list_organisations(limit: int, cursor: str | None) -> tuple[list[Organisation], str | None]:
    start = typed_key(decode_cursor(cursor, expected={"gsi1pk": ORGS}, keys={"pk", "sk", "gsi1pk", "gsi1sk"}))
    result = OrganisationItem.gsi1.query(ORGS, limit=limit, last_evaluated_key=start)
    items = read(lambda: [i.entity() for i in result])
    return items, encode_cursor(result.last_evaluated_key)


def ancestors(org_id: str | None, depth: int = 16) -> list[str]:
    chain: list[str] = []
    while org_id and len(chain) < depth:
        chain.append(org_id)
        org = get_organisation(org_id)
        org_id = org.parent_id if org else None
    return chain


def create_organisation(org: Organisation, event: DomainEvent, admin: User | None = None,
                        admin_event: DomainEvent | None = None) -> None:
    tx = Tx().put(OrganisationItem.of(org), condition=OrganisationItem.pk.does_not_exist(),
                  on_fail=Conflict(f"An organisation with id {org.id} already exists.")).event(event)
    if admin is not None:
        tx.put(UserItem.of(admin), condition=UserItem.pk.does_not_exist(), on_fail=Conflict("That user id is taken."))
        tx.put(_email_claim(admin), condition=EmailClaim.pk.does_not_exist(), on_fail=_email_taken(admin))
        tx.event(admin_event)
    tx.run()


def update_organisation(org: Organisation, expected_version: int, event: DomainEvent) -> None:
    Tx().put(OrganisationItem.of(org), condition=OrganisationItem.version == expected_version,
             on_fail=stale("organisation")).event(event).run()


# ---------------------------------------------------------------------- users
def get_user(org_id: str, user_id: str, consistent: bool = False) -> User | None:
    try:
        return UserItem.get(org_key(org_id), user_key(user_id), consistent_read=consistent).entity()
    except UserItem.DoesNotExist:
        return None
    except PynamoDBException as exc:
        raise ServiceUnavailable("The identity store is unavailable; retry shortly.") from exc


def list_users(org_id: str, limit: int, cursor: str | None, status: str | None = None) -> tuple[list[User], str | None]:
    return page(UserItem, org_key(org_id), user_key(""), limit, cursor,
                filter_condition=(UserItem.status == status) if status else None)


def create_user(user: User, event: DomainEvent) -> None:
    Tx().put(UserItem.of(user), condition=UserItem.pk.does_not_exist(), on_fail=Conflict("That user already exists.")) \
        .put(_email_claim(user), condition=EmailClaim.pk.does_not_exist(), on_fail=_email_taken(user)) \
        .event(event).run()


def update_user(user: User, event: DomainEvent, *, expected_version: int | None = None,
                expected_status: str | None = None, release_email: bool = False, idp_pending: bool = False) -> None:
    """Save a changed user; guard on the version the caller read and/or the status it expects."""
    condition = UserItem.pk.exists()
    if expected_version is not None:
        condition &= UserItem.version == expected_version
    if expected_status is not None:
        condition &= UserItem.status == expected_status
    on_stale = stale("user") if expected_version is not None else Conflict(f"The user is no longer {expected_status}.")

    item = UserItem.awaiting_idp(user) if idp_pending else UserItem.of(user)
    tx = Tx().put(item, condition=condition, on_fail=on_stale).event(event)
    if release_email:
        tx.delete(_email_claim(user), condition=EmailClaim.user_id == user.id)
    tx.run()


def clear_idp_pending(user: User) -> bool:
    """Mark the user's state as applied to the identity provider, unless it changed since it was read."""
    try:
        UserItem(pk=org_key(user.org_id), sk=user_key(user.id)).update(
            actions=[UserItem.gsi1pk.remove(), UserItem.gsi1sk.remove()],
            condition=(UserItem.version == user.version) & (UserItem.gsi1pk == IDP_SYNC))
        return True
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise ServiceUnavailable("The identity store is unavailable; retry shortly.") from exc


def users_waiting(index_value: str, before: str) -> list[User]:
    """Users in the sparse index (PROVISIONING or IDP_SYNC) since before `before`, all pages."""
    result = UserItem.gsi1.query(index_value, UserItem.gsi1sk < before, page_size=100)
    return read(lambda: [i.entity() for i in result])

