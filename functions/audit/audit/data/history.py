"""Histories in the audit table.

| item     | pk                   | sk                 |
|----------|----------------------|--------------------|
| head     | ENTITY#<org>#<id>    | HEAD               | seq, hash, kind
| entry    | ENTITY#<org>#<id>    | SEQ#<000000000001> | event, prev_hash, hash
| receipt  | ENTITY#<org>#<id>    | EVENT#<event id>   | (dedupe: SQS delivers at least once)
Histories are per organisation: two organisations' entities with the same id never
share a chain, and a caller can only name chains of its own organisation.
Appending is one transaction: advance the head only from the seq we read, write
the entry, and write the receipt only if this event was never appended.
"""
from __future__ import annotations

from functools import lru_cache
import json
import os
from typing import Any

import boto3
from botocore.exceptions import ClientError

from shared.pagination import decode_cursor, encode_cursor, typed_key

from ..domain.chain import GENESIS, link



class AlreadyAppended(Exception):
    pass


class HeadMoved(Exception):
    pass


@lru_cache(maxsize=1)
def _ddb():
    return boto3.client("dynamodb")


def _table() -> str:
    return os.environ["TABLE_NAME"]


def _pk(org_id: str | None, entity_id: str) -> str:
    return f"ENTITY#{org_id or '-'}#{entity_id}"


def head(org_id: str | None, entity_id: str) -> dict[str, Any] | None:
    item = _ddb().get_item(TableName=_table(), Key={"pk": {"S": _pk(org_id, entity_id)}, "sk": {"S": "HEAD"}},
                           ConsistentRead=True).get("Item")
    if not item:
        return None
    return {"seq": int(item["seq"]["N"]), "hash": item["hash"]["S"], "kind": item.get("kind", {}).get("S")}


def append(entity_id: str, kind: str, org_id: str | None, event: dict[str, Any]) -> int:
    current = head(org_id, entity_id)
    seq = (current["seq"] if current else 0) + 1
    prev = current["hash"] if current else GENESIS
    digest = link(prev, seq, event)
    pk = {"S": _pk(org_id, entity_id)}
    head_item = {"pk": pk, "sk": {"S": "HEAD"}, "seq": {"N": str(seq)}, "hash": {"S": digest}, "kind": {"S": kind}}
    head_put = {"TableName": _table(), "Item": head_item}
    if current:
        head_put |= {"ConditionExpression": "seq = :prev", "ExpressionAttributeValues": {":prev": {"N": str(seq - 1)}}}
    else:
        head_put |= {"ConditionExpression": "attribute_not_exists(pk)"}
    try:
        _ddb().transact_write_items(TransactItems=[
            {"Put": {"TableName": _table(), "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": {"pk": pk, "sk": {"S": f"EVENT#{event['id']}"}, "seq": {"N": str(seq)}}}},
            {"Put": head_put},
            {"Put": {"TableName": _table(), "Item": {
                "pk": pk, "sk": {"S": f"SEQ#{seq:012d}"}, "seq": {"N": str(seq)}, "prev_hash": {"S": prev},
                "hash": {"S": digest}, "event": {"S": json.dumps(event, separators=(",", ":"))}}}},
        ])
    except ClientError as exc:
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            raise AlreadyAppended(event["id"]) from None
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            raise HeadMoved(entity_id) from None
        raise
    return seq


def entries(org_id: str | None, entity_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    start = decode_cursor(cursor, expected={"pk": _pk(org_id, entity_id)}, keys={"pk", "sk"})
    kwargs: dict[str, Any] = {
        "TableName": _table(), "Limit": limit, "ConsistentRead": True,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :seq)",
        "ExpressionAttributeValues": {":pk": {"S": _pk(org_id, entity_id)}, ":seq": {"S": "SEQ#"}},
    }
    if start:
        kwargs["ExclusiveStartKey"] = typed_key(start)
    response = _ddb().query(**kwargs)
    items = [{"seq": int(i["seq"]["N"]), "prev_hash": i["prev_hash"]["S"], "hash": i["hash"]["S"],
              "event": json.loads(i["event"]["S"])} for i in response.get("Items", [])]
    return items, encode_cursor(response.get("LastEvaluatedKey"))
