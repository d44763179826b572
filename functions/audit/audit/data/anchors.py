"""Audit's anchors outside the table: signed checkpoints and integrity reports in the locked bucket, and the signing key.

| object                         | what                                                   |
|--------------------------------|--------------------------------------------------------|
| checkpoints/<10^12 - seq>.json | one signed checkpoint (keys count down: newest listed first) |
| reports/<YYYY-MM-DD>/<time>.json | one verification job's report                         |

The bucket has Object Lock in COMPLIANCE mode with a default retention and versioning,
so no one — not the table's writers, not an administrator — can delete or replace a
stored version before it expires; a new version or a new key is all a writer can add,
and every checkpoint's signature and sequence are checked before it is believed (a
version put over a checkpoint does not hide it: its earlier versions are read then). Objects
are written with If-None-Match: `*`, so the job never overwrites one.

The key is a KMS asymmetric ECC_NIST_P256 key; only the jobs' function may sign with it,
the readers may verify. Each checkpoint is verified once per execution environment (the
verdict is cached by object key and ETag), so a verified read costs one LIST, not a
KMS call or a GET, while the latest checkpoint stays the same.
"""
from __future__ import annotations

import base64
import json
import os
from functools import lru_cache
from typing import Any, Iterator

from botocore.exceptions import ClientError

from ..domain.checkpoint import ALGORITHM

CHECKPOINTS = "checkpoints/"
REPORTS = "reports/"


class Exists(Exception):
    """Another run already wrote that object (the job never overwrites)."""


def configured() -> bool:
    return bool(os.environ.get("CHECKPOINT_BUCKET") and os.environ.get("SIGNING_KEY_ID"))


@lru_cache(maxsize=1)
def _s3():
    import boto3  # with the client: a plain read of a history never needs it (cold start)

    return boto3.client("s3")


@lru_cache(maxsize=1)
def _kms():
    import boto3

    return boto3.client("kms")


def _bucket() -> str:
    return os.environ["CHECKPOINT_BUCKET"]


def _key_id() -> str:
    return os.environ["SIGNING_KEY_ID"]


def newest_checkpoints(limit: int = 5) -> Iterator[tuple[str, str, dict[str, Any] | None]]:
    """(object key, ETag, parsed document or None if unreadable), newest first. A document is
    read once per environment: the listing's ETag names its content."""
    listed = _s3().list_objects_v2(Bucket=_bucket(), Prefix=CHECKPOINTS, MaxKeys=limit).get("Contents", [])
    for entry in listed:
        tag = (entry["Key"], entry["ETag"])
        if tag not in _documents:
            if len(_documents) >= 8:  # checkpoints hold every head: keep a few
                _documents.pop(next(iter(_documents)))
            _documents[tag] = _read(entry["Key"])
        yield entry["Key"], entry["ETag"], _documents[tag]


def earlier_versions(key: str) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """(version id, document) of the key's versions below the current one, oldest first: the job writes
    each key once, so when the current version was put over it, the oldest is the job's own."""
    listed = _s3().list_object_versions(Bucket=_bucket(), Prefix=key).get("Versions", [])
    for version in sorted((v for v in listed if v["Key"] == key and not v["IsLatest"]),
                          key=lambda v: v["LastModified"]):
        yield version["VersionId"], _read(key, version["VersionId"])


def _read(key: str, version: str | None = None) -> dict[str, Any] | None:
    extra = {"VersionId": version} if version else {}
    try:
        doc = json.loads(_s3().get_object(Bucket=_bucket(), Key=key, **extra)["Body"].read())
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


_documents: dict[tuple[str, str], dict[str, Any] | None] = {}
_verdicts: dict[tuple[str, str], bool] = {}


def put(key: str, doc: dict[str, Any]) -> str:
    """Write a new object (never over an existing one); returns its version id."""
    try:
        written = _s3().put_object(Bucket=_bucket(), Key=key, Body=json.dumps(doc, separators=(",", ":")).encode(),
                                   ContentType="application/json", IfNoneMatch="*")
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("PreconditionFailed", "ConditionalRequestConflict"):
            raise Exists(key) from None
        raise
    return written.get("VersionId") or "null"


def sign(message: bytes) -> tuple[str, str]:
    """(base64 signature, key ARN) over the RAW message (KMS hashes it with SHA-256)."""
    signed = _kms().sign(KeyId=_key_id(), Message=message, MessageType="RAW", SigningAlgorithm=ALGORITHM)
    return base64.b64encode(signed["Signature"]).decode(), signed["KeyId"]


def signature_valid(key: str, etag: str, message: bytes, signature: str) -> bool:
    """Checked by KMS against the configured key (never a key the object names), once per object content."""
    if (key, etag) in _verdicts:
        return _verdicts[(key, etag)]
    try:
        valid = _kms().verify(KeyId=_key_id(), Message=message, MessageType="RAW", SigningAlgorithm=ALGORITHM,
                              Signature=base64.b64decode(signature))["SignatureValid"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "KMSInvalidSignatureException":
            raise
        valid = False
    except ValueError:  # not base64
        valid = False
    _verdicts[(key, etag)] = bool(valid)
    return bool(valid)


def forget() -> None:
    """Drop the per-environment caches (tests switch accounts)."""
    _documents.clear()
    _verdicts.clear()
    _s3.cache_clear()
    _kms.cache_clear()
