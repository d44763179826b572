"""Every chain's head at once, and a chain's entries from a given seq, for the checkpoint and verification jobs.

Heads carry a `head_shard` (one of SHARDS, from a hash of the chain key) that only
HEAD items have, so the sparse `heads` index holds one item per chain and nothing
else: reading every head costs SHARDS queries and one read unit per ~4 KB of heads,
growing with the number of chains, never with the number of events. Shards keep the
index's write load spread when many chains grow at once. The index is eventually
consistent: a head read there may lag its chain by a moment, which only means the
checkpoint takes an older, still consistent, prefix.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any, Iterator

import boto3

from ..domain.checkpoint import Head
from .tables import ENTRY_PREFIX, TABLE

INDEX = "heads"
SHARDS = 16


def head_shard(pk: str) -> str:
    return f"{int(hashlib.sha256(pk.encode()).hexdigest()[:8], 16) % SHARDS:02d}"


@lru_cache(maxsize=1)
def _ddb():
    return boto3.client("dynamodb")


def _table() -> str:
    return TABLE.name


def chain_parts(chain: str) -> tuple[str | None, str]:
    """(organisation, entity id) of a chain key `ENTITY#<org>#<id>`."""
    _, org, entity = chain.split("#", 2)
    return (None if org == "-" else org), entity


def all_heads() -> dict[str, Head]:
    heads: dict[str, Head] = {}
    paginator = _ddb().get_paginator("query")
    for shard in range(SHARDS):
        pages = paginator.paginate(TableName=_table(), IndexName=INDEX, KeyConditionExpression="head_shard = :s",
                                   ExpressionAttributeValues={":s": {"S": f"{shard:02d}"}})
        for page in pages:
            for item in page.get("Items", []):
                heads[item["pk"]["S"]] = Head(int(item["seq"]["N"]), item["hash"]["S"])
    return heads


def entries_from(chain: str, seq: int, page_size: int = 200) -> Iterator[dict[str, Any]]:
    """The chain's entries from `seq` on, in order, read consistently page by page."""
    kwargs: dict[str, Any] = {
        "TableName": _table(), "ConsistentRead": True, "Limit": page_size,
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :from AND :to",
        "ExpressionAttributeValues": {":pk": {"S": chain}, ":from": {"S": f"{ENTRY_PREFIX}{seq:012d}"},
                                      ":to": {"S": f"{ENTRY_PREFIX}{'9' * 12}"}},
    }
    while True:
        response = _ddb().query(**kwargs)
        for item in response.get("Items", []):
            yield {"seq": int(item["seq"]["N"]), "prev_hash": item["prev_hash"]["S"], "hash": item["hash"]["S"],
                   "event": json.loads(item["event"]["S"])}
        if "LastEvaluatedKey" not in response:
            return
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
