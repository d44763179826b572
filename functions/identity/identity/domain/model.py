"""Organisations and users as the identity capability sees them."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

# User status: provisioning → active ⇄ deactivated; provisioning → failed (saga compensated).
# The allowed values are declared once, in schemas.py.


@dataclass(frozen=True)
class Organisation:
    """기관: an agency (생산기관), a records centre (기록관) or a permanent archive (영구기록물관리기관)."""

    id: str
    name: str
    type: str
    parent_id: str | None
    status: str = "active"
    version: int = 1
    created_at: str = ""
    updated_at: str = ""

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type, "parent_id": self.parent_id,
                "status": self.status, "version": self.version, "created_at": self.created_at,
                "updated_at": self.updated_at}

    def directory_entry(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type, "parent_id": self.parent_id}


@dataclass(frozen=True)
class User:
    """A staff member and their membership (roles) in one organisation."""

    id: str
    org_id: str
    email: str
    display_name: str
    roles: tuple[str, ...]
    status: str = "provisioning"
    version: int = 1
    created_at: str = ""
    updated_at: str = ""
    failure: str | None = None

    def public(self) -> dict[str, Any]:
        data = {"id": self.id, "org_id": self.org_id, "email": self.email, "display_name": self.display_name,
                "roles": list(self.roles), "status": self.status, "version": self.version,
                "created_at": self.created_at, "updated_at": self.updated_at}
        if self.failure:
            data["failure"] = self.failure
        return data

    def with_changes(self, **changes: Any) -> "User":
        return replace(self, **changes)

