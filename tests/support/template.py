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
    props = resource(logical_id)["Properties"]
    kwargs: dict[str, Any] = {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": props["AttributeDefinitions"], "KeySchema": props["KeySchema"],
    }
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("StreamSpecification"):
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    client.create_table(**kwargs)
