"""Histories exported into a transfer's package (TRANSFER_BUCKET): one JSON object per entity, written once.

| object                                              | what                                              |
|-----------------------------------------------------|---------------------------------------------------|
| <prefix>/data/history/<type>-<id>.json              | the entity's chain and its verification; metadata `sha256` |

An export is written with If-None-Match: `*`: a retried step finds the object of its first attempt and answers
with its figures (a chain that grew meanwhile does not change what the package already holds).
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError

from shared.problems import ServiceUnavailable


@lru_cache(maxsize=1)
def _s3():
    import boto3  # with the first export: the history routes never need an S3 client

    return boto3.client("s3")


def reset_client() -> None:
    _s3.cache_clear()


def package_bucket() -> str | None:
    return os.environ.get("TRANSFER_BUCKET")


def put_once(bucket: str, key: str, doc: dict[str, Any]) -> tuple[str, int]:
    """(sha256, size) of the object at `key`: written now from `doc`, or as an earlier attempt wrote it."""
    data = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    sha = hashlib.sha256(data).hexdigest()
    try:
        _s3().put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/json", IfNoneMatch="*",
                         Metadata={"sha256": sha})
        return sha, len(data)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("PreconditionFailed", "ConditionalRequestConflict"):
            raise ServiceUnavailable(f"The package bucket answered {exc.response['Error']['Code']}.") from None
    head = _s3().head_object(Bucket=bucket, Key=key)
    return (head.get("Metadata") or {}).get("sha256", ""), int(head["ContentLength"])
