"""Destruction certificates (폐기 확인서) in their bucket, written once.

| object                                   | what                                  |
|------------------------------------------|---------------------------------------|
| certificates/<org>/<run>/certificate.json | the certificate's JSON document       |
| certificates/<org>/<run>/certificate.pdf  | the same, set as a PDF                |

The bucket (CERTIFICATES_BUCKET) is versioned with Object Lock, COMPLIANCE mode and a default retention:
nobody, not even the account's root user, deletes or replaces a stored version before it expires; only the
disposal tasks function may put objects, and it writes each key once (If-None-Match: *), so a repeated
certify step reads back what the first one wrote instead of writing another version.
"""
from __future__ import annotations

import os
from functools import lru_cache

from botocore.exceptions import ClientError

from shared.problems import ServiceUnavailable
from shared.storage import Key

object_key = Key("certificates/{org_id}/{run_id}/certificate.{ext}")
MEDIA = {"json": "application/json", "pdf": "application/pdf"}
DOWNLOAD_TTL_SECONDS = 5 * 60


@lru_cache(maxsize=1)
def _s3():
    import boto3  # with the client: reads of runs never need it

    return boto3.client("s3")


def _bucket() -> str:
    return os.environ["CERTIFICATES_BUCKET"]


def _failed(exc: ClientError) -> ServiceUnavailable:
    return ServiceUnavailable(f"The certificates bucket answered {exc.response['Error']['Code']}; retry shortly.")


def put_once(org_id: str, run_id: str, ext: str, body: bytes) -> bytes:
    """Write the object unless it exists; the stored bytes either way (a retry keeps the first certificate)."""
    key = object_key(org_id=org_id, run_id=run_id, ext=ext)
    try:
        _s3().put_object(Bucket=_bucket(), Key=key, Body=body, ContentType=MEDIA[ext], IfNoneMatch="*",
                         ChecksumAlgorithm="SHA256")
        return body
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("PreconditionFailed", "ConditionalRequestConflict"):
            raise _failed(exc) from None
    return read(org_id, run_id, ext)


def read(org_id: str, run_id: str, ext: str) -> bytes:
    try:
        return _s3().get_object(Bucket=_bucket(), Key=object_key(org_id=org_id, run_id=run_id, ext=ext))["Body"].read()
    except ClientError as exc:
        raise _failed(exc) from None


def exists(org_id: str, run_id: str, ext: str) -> bool:
    try:
        _s3().head_object(Bucket=_bucket(), Key=object_key(org_id=org_id, run_id=run_id, ext=ext))
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return False
        raise _failed(exc) from None


def download_url(org_id: str, run_id: str, ext: str) -> str:
    """A presigned GET (5 minutes), saved under a name that says what it is."""
    return _s3().generate_presigned_url("get_object", ExpiresIn=DOWNLOAD_TTL_SECONDS, Params={
        "Bucket": _bucket(), "Key": object_key(org_id=org_id, run_id=run_id, ext=ext),
        "ResponseContentType": MEDIA[ext],
        "ResponseContentDisposition": f'attachment; filename="destruction-certificate-{run_id}.{ext}"'})
