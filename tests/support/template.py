"""Read template.yaml in tests, so mocks are built from the infrastructure's own definitions."""
from __future__ import annotations

from typing import Any

from infrastructure import cfn

ROOT = cfn.ROOT


template = cfn.template


def resource(logical_id: str) -> dict[str, Any]:
    return template()["Resources"][logical_id]


def create_table(client, logical_id: str, name: str) -> None:
    """Create a table exactly as the template declares it (keys, indexes, stream)."""
    cfn.create_table(client, resource(logical_id)["Properties"], name)
