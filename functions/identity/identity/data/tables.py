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
Organisations and users get their attributes from the domain entities (shared.mapping).
The table name is read at each use (`TABLE_NAME`, default `identity`).
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute

from shared.outbox import outbox_model
from shared.storage import Gsi1, Key, Table

from ..domain.model import Organisation, User

TABLE = Table("identity")
ORGS = "ORGS"  # gsi1pk of every organisation (the directory, by name)
PROVISIONING = "PROVISIONING"  # sparse-index value while a user is being provisioned
IDP_SYNC = "IDP_SYNC"  # ... and while a change has not yet been applied to the identity provider


org_key = Key("ORG#{org_id}")
user_key = Key("USER#{user_id}")


def email_key(email: str) -> str:
    return f"EMAIL#{email.lower()}"


class OrganisationItem(TABLE.Item, entity=Organisation):
    gsi1 = Gsi1()

    @classmethod
    def derived(cls, org: Organisation) -> dict[str, Any]:
        return {"pk": org_key(org.id), "sk": "ORG", "gsi1pk": ORGS, "gsi1sk": f"{org.name.lower()}#{org.id}"}


class UserItem(TABLE.Item, entity=User):
    gsi1 = Gsi1()

    @classmethod
    def derived(cls, user: User) -> dict[str, Any]:
        keys = {"pk": org_key(user.org_id), "sk": user_key(user.id)}
        if user.status == "provisioning":
            keys |= {"gsi1pk": PROVISIONING, "gsi1sk": f"{user.created_at}#{user.id}"}
        return keys

    @classmethod
    def awaiting_idp(cls, user: User) -> "UserItem":
        """The user, listed as not yet applied to the identity provider (unless still provisioning)."""
        if user.status == "provisioning":
            return cls.of(user)
        return cls.of(user, gsi1pk=IDP_SYNC, gsi1sk=f"{user.updated_at}#{user.id}")


class EmailClaim(TABLE.Item):
    """Keeps e-mail addresses unique across the platform (the pool does not)."""

    user_id = UnicodeAttribute()
    org_id = UnicodeAttribute()


OutboxItem = outbox_model(TABLE.Item)
