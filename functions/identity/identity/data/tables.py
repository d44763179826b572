"""PynamoDB models of the identity table (single-table design).

| item          | pk              | sk           | gsi1pk         | gsi1sk                |
|---------------|-----------------|--------------|----------------|-----------------------|
| organisation  | ORG#<org>       | ORG          | ORGS           | <name lower>#<org>    |
| user          | ORG#<org>       | USER#<user>  | PROVISIONING*  | <created_at>#<user>   |
| e-mail claim  | EMAIL#<email>   | EMAIL        |                |                       |
| outbox event  | OUTBOX#<event>  | EVENT        |                |                       |
* only while the user is being provisioned (a sparse index the reconciler reads).
Users live under their organisation's partition, so every user query is scoped
to one organisation by its key — another organisation's users are unreachable.
"""
from __future__ import annotations

import os

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from shared.outbox import outbox_model
from shared.storage import Gsi1, one_client

TABLE_NAME = os.environ.get("TABLE_NAME", "identity")
REGION = os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


class _Item(Model):
    class Meta:
        table_name = TABLE_NAME
        region = REGION

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class OrganisationItem(_Item):
    class Meta(_Item.Meta):
        pass

    gsi1 = Gsi1()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    type = UnicodeAttribute()
    parent_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    version = NumberAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class UserItem(_Item):
    class Meta(_Item.Meta):
        pass

    gsi1 = Gsi1()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    email = UnicodeAttribute()
    display_name = UnicodeAttribute()
    roles = ListAttribute(of=UnicodeAttribute)
    status = UnicodeAttribute()
    version = NumberAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    failure = UnicodeAttribute(null=True)


class EmailClaim(_Item):
    """Keeps e-mail addresses unique across the platform (the pool does not)."""

    class Meta(_Item.Meta):
        pass

    user_id = UnicodeAttribute()
    org_id = UnicodeAttribute()


OutboxItem = outbox_model(TABLE_NAME)
CONNECTION = one_client(OrganisationItem, UserItem, EmailClaim, OutboxItem)


def org_key(org_id: str) -> str:
    return f"ORG#{org_id}"


def user_key(user_id: str) -> str:
    return f"USER#{user_id}"


def email_key(email: str) -> str:
    return f"EMAIL#{email.lower()}"
