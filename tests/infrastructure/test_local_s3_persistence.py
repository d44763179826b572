"""The local system keeps S3 object versions and KMS key material across restarts.

An acknowledged PUT is journaled (fsync'ed) before moto answers; a restart replays the
journal over the snapshot and puts every version back with its own id and Object Lock
settings, and puts the KMS key's private key back, so a signature made before the
restart still verifies after it (the audit trail's checkpoints depend on both).
"""
from __future__ import annotations

import pathlib
import textwrap

import boto3
import pytest
from moto import mock_aws

from infrastructure.local import provision
from infrastructure.local.journal import Journal, record_s3_writes
from infrastructure.local.persistence import Store
from infrastructure.local.template import Template

TEMPLATE = textwrap.dedent("""
    AWSTemplateFormatVersion: "2010-09-09"
    Resources:
      Signer:
        Type: AWS::KMS::Key
        Properties: {KeySpec: ECC_NIST_P256, KeyUsage: SIGN_VERIFY}
      Anchors:
        Type: AWS::S3::Bucket
        Properties:
          ObjectLockEnabled: true
          ObjectLockConfiguration:
            ObjectLockEnabled: Enabled
            Rule: {DefaultRetention: {Mode: COMPLIANCE, Days: 1}}
          VersioningConfiguration: {Status: Enabled}
""")


@pytest.fixture
def setup(tmp_path, monkeypatch):
    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local",
                        "AWS_SECRET_ACCESS_KEY": "local"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    return path, tmp_path / "data", monkeypatch


def start(path: pathlib.Path, data: pathlib.Path, monkeypatch) -> tuple[Template, Store, Journal]:
    """What the local system does at start: provision, restore (journal replayed), record again."""
    template = Template(path, queue_endpoint="http://127.0.0.1:1")
    provision._keys(template)
    provision._buckets(template)
    store, journal = Store(data, template), Journal(data / "journal")
    record_s3_writes(journal, monkeypatch.setattr)
    store.restore(journal)
    journal.start()
    return template, store, journal


def test_object_versions_and_signatures_survive_a_crash_and_a_compaction(setup):
    path, data, monkeypatch = setup
    with mock_aws():
        template, store, journal = start(path, data, monkeypatch)
        s3, kms = boto3.client("s3"), boto3.client("kms")
        bucket, key_id = template.physical_name("Anchors"), template.resolve({"Ref": "Signer"})
        first = s3.put_object(Bucket=bucket, Key="checkpoints/1.json", Body=b"one")["VersionId"]
        store.compact(journal)  # the first version goes into the snapshot
        second = s3.put_object(Bucket=bucket, Key="checkpoints/1.json", Body=b"two")["VersionId"]  # journal only
        signature = kms.sign(KeyId=key_id, Message=b"statement", MessageType="RAW",
                             SigningAlgorithm="ECDSA_SHA_256")["Signature"]
        # a crash: no close, no save

    with mock_aws():  # a new emulator, empty, as after a restart
        template, store, journal = start(path, data, monkeypatch)
        s3, kms = boto3.client("s3"), boto3.client("kms")
        bucket, key_id = template.physical_name("Anchors"), template.resolve({"Ref": "Signer"})
        versions = s3.list_object_versions(Bucket=bucket)["Versions"]
        assert [v["VersionId"] for v in versions] == [second, first]  # newest first, ids kept
        assert s3.get_object(Bucket=bucket, Key="checkpoints/1.json")["Body"].read() == b"two"
        kept = s3.head_object(Bucket=bucket, Key="checkpoints/1.json", VersionId=first)
        assert kept["ObjectLockMode"] == "COMPLIANCE" and kept["ObjectLockRetainUntilDate"]
        assert kms.verify(KeyId=key_id, Message=b"statement", MessageType="RAW", Signature=signature,
                          SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
        store.compact(journal)

    with mock_aws():  # and once more, from the compacted snapshot alone
        template, store, journal = start(path, data, monkeypatch)
        bucket = template.physical_name("Anchors")
        assert len(boto3.client("s3").list_object_versions(Bucket=bucket)["Versions"]) == 2
        journal.close()


@pytest.mark.parametrize("compact_between", [False, True])
def test_a_version_deleted_by_id_stays_deleted_and_a_lock_set_after_the_put_stays_set(setup, compact_between):
    """Records' complete step deletes a refused upload's version and locks the one it captured (GOVERNANCE,
    set after the PUT): both survive a crash, from the journal alone or from a snapshot taken in between."""
    path, data, monkeypatch = setup
    with mock_aws():
        template, store, journal = start(path, data, monkeypatch)
        s3, bucket = boto3.client("s3"), template.physical_name("Anchors")
        refused = s3.put_object(Bucket=bucket, Key="components/refused", Body=b"bad", ObjectLockMode="GOVERNANCE",
                                ObjectLockRetainUntilDate="2000-01-01T00:00:00Z")["VersionId"]
        captured = s3.put_object(Bucket=bucket, Key="components/captured", Body=b"good")["VersionId"]
        if compact_between:
            store.compact(journal)  # both versions in the snapshot, the lock and the delete after it
        s3.delete_object(Bucket=bucket, Key="components/refused", VersionId=refused, BypassGovernanceRetention=True)
        s3.put_object_retention(Bucket=bucket, Key="components/captured", VersionId=captured,
                                Retention={"Mode": "GOVERNANCE", "RetainUntilDate": "2100-01-01T00:00:00Z"},
                                BypassGovernanceRetention=True)
        # a crash: no close, no save

    with mock_aws():
        template, store, journal = start(path, data, monkeypatch)
        s3, bucket = boto3.client("s3"), template.physical_name("Anchors")
        assert [v["Key"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]] == ["components/captured"]
        kept = s3.head_object(Bucket=bucket, Key="components/captured", VersionId=captured)
        assert kept["ObjectLockMode"] == "GOVERNANCE" and kept["ObjectLockRetainUntilDate"].year == 2100
        store.compact(journal)

    with mock_aws():  # and from the compacted snapshot alone
        template, store, journal = start(path, data, monkeypatch)
        s3, bucket = boto3.client("s3"), template.physical_name("Anchors")
        kept = s3.head_object(Bucket=bucket, Key="components/captured", VersionId=captured)
        assert kept["ObjectLockMode"] == "GOVERNANCE" and kept["ObjectLockRetainUntilDate"].year == 2100
        assert len(s3.list_object_versions(Bucket=bucket)["Versions"]) == 1
        journal.close()
