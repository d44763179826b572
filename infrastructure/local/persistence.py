"""What survives a restart, kept as JSON under the data folder (.local/ by default).

    tables/<LogicalId>.json    every item of each DynamoDB table (DynamoDB JSON): the snapshot
    journal/<n>.log            every committed write since, fsync'ed before it was acknowledged
    snapshot.json              the first journal segment the snapshot does not cover
    cognito/<LogicalId>.json   each user pool's groups and users (attributes, status, groups)
    s3/<LogicalId>.json        each bucket's object versions in the order they were stored
    s3/<LogicalId>/<version>   one object version (body, Object Lock mode and retain-until), written once
    kms/<LogicalId>.pem        each KMS key's private key: old signatures keep verifying after a restart
    partner-api-key            the partner API key (X-Api-Key), as plain text
    state.json                 whether the demo data was seeded
    runtime.json               the running system's URLs (for `make job`); removed on exit

DynamoDB writes and S3 object versions are durable when acknowledged (journal.py):
start-up replays the journal over the snapshot, so a `kill -9` loses nothing that got an
answer. Object versions keep their ids and lock settings; delete markers are not kept. Snapshots
are written atomically: Cognito's every few seconds when something changed, the tables' and
buckets' (which compacts the journal) at start and after 10,000 journaled writes or five minutes
after a write, by merging the journal's closed segments into the files (compaction.py, in a child
process that never reads moto).
Cognito users are snapshot only (the identity table is their source of truth; its reconcile job
re-applies what was missed).
Not kept: queue contents, stream positions, Step Functions history and Cognito `sub`
values (moto makes new ones; tokens name users by username). Restored outbox items are
streamed again, so their events reach consumers at least once (consumers deduplicate).
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import pathlib
import secrets
import shutil
import subprocess
import sys
import threading
import time
from typing import Any

from botocore.exceptions import ClientError

from .aws import client
from .compaction import S3_PREFIX, fsync_dir, item_key, write_atomically
from .journal import Journal
from .template import ACCOUNT_ID, REGION, Template
from .tokens import LOCAL_PASSWORD

log = logging.getLogger("local.persistence")
PROJECT = pathlib.Path(__file__).resolve().parents[2]  # the child process runs `-m infrastructure.local.compaction`
# A snapshot of every table once the journal holds this many writes, or five minutes after a write: a
# 10,000-box run spent most of the local system's time re-reading growing tables every 10 s.
COMPACT_AFTER_LINES = 10_000
COMPACT_AFTER_SECONDS = 300.0


def _binary(value: Any, convert) -> Any:
    """Apply `convert` to the binary parts of a DynamoDB JSON value (bytes ⇄ base64 text)."""
    if not isinstance(value, dict) or len(value) != 1:
        return value
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": convert(inner)}
    if kind == "BS":
        return {"BS": [convert(v) for v in inner]}
    if kind == "M":
        return {"M": {k: _binary(v, convert) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_binary(v, convert) for v in inner]}
    return value


class Store:
    def __init__(self, root: pathlib.Path, template: Template) -> None:
        self.root = root
        self.template = template
        self._written: dict[pathlib.Path, str] = {}
        self._lock = threading.RLock()

    # ----------------------------------------------------------------- files
    def wipe(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _read(self, name: str) -> Any:
        path = self.root / name
        if not path.exists():
            return None
        text = path.read_text(encoding="utf-8")
        self._written[path] = text
        return json.loads(text)

    def _write(self, name: str, data: Any) -> bool:
        path = self.root / name
        text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False)
        if self._written.get(path) == text:
            return False
        write_atomically(path, text)
        self._written[path] = text
        return True

    def remove(self, name: str) -> None:
        (self.root / name).unlink(missing_ok=True)

    def api_key(self) -> dict[str, str]:
        path = self.root / "partner-api-key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(30) + "\n", encoding="utf-8")
        value = path.read_text(encoding="utf-8").strip()
        return {"id": hashlib.sha256(value.encode()).hexdigest()[:10], "value": value}

    def seeded(self) -> bool:
        return bool((self._read("state.json") or {}).get("seeded"))

    def mark_seeded(self) -> None:
        self._write("state.json", {"seeded": True})

    def write_runtime(self, info: dict[str, Any]) -> None:
        self._write("runtime.json", info)

    # --------------------------------------------------------------- restore
    def restore(self, journal: Journal | None = None) -> dict[str, int]:
        """Put back the snapshot with the journal replayed over it (before the journal records again)."""
        counts = {"items": 0, "users": 0, "journaled": 0}
        tables = {}  # physical name -> (key attributes, {key: item})
        for logical in self.template.of_type("AWS::DynamoDB::Table"):
            key_names = [k["AttributeName"] for k in self.template.properties(logical)["KeySchema"]]
            items = (self._read(f"tables/{logical}.json") or {}).get("items", [])
            tables[self.template.physical_name(logical)] = (
                key_names, {item_key(item, key_names): item for item in items})
        buckets = {self.template.physical_name(logical): self._saved_versions(logical)
                   for logical in self.template.of_type("AWS::S3::Bucket")}
        if journal is not None:
            for table, key, item in journal.read(since=(self._read("snapshot.json") or {}).get("journal_from", 0)):
                if table.startswith(S3_PREFIX):
                    versions = buckets.get(table[len(S3_PREFIX):])
                    if versions is not None and item is None:  # deleted by id
                        versions.pop(key["version"], None)
                        counts["journaled"] += 1
                    elif versions is not None:  # stored, or its lock changed: its latest state
                        versions[key["version"]] = {**item, "key": key["key"]}
                        counts["journaled"] += 1
                    continue
                if table not in tables:
                    continue
                key_names, items = tables[table]
                if item is None:
                    items.pop(item_key(key, key_names), None)
                else:
                    items[item_key(item, key_names)] = item
                counts["journaled"] += 1
        for table, (_, items) in tables.items():
            self._put_items(table, list(items.values()))
            counts["items"] += len(items)
        for bucket, versions in buckets.items():
            self._put_versions(bucket, versions)
            counts["items"] += len(versions)
        for logical in self.template.of_type("AWS::Cognito::UserPool"):
            saved = self._read(f"cognito/{logical}.json")
            if saved:
                counts["users"] += self._restore_pool(self.template.resolve({"Ref": logical}), saved)
        self._keep_keys()
        return counts

    # ---------------------------------------------------- S3 objects, KMS keys
    def _saved_versions(self, logical: str) -> dict[str, dict[str, Any]]:
        """version id -> {"key", "body", "lock_mode", ...}, in the order they were stored."""
        versions = {}
        for key, version in (self._read(f"s3/{logical}.json") or {}).get("versions", []):
            saved = json.loads((self.root / "s3" / logical / version).read_text(encoding="utf-8"))
            versions[version] = {**saved, "key": key, "body": base64.b64decode(saved["body"])}
        return versions

    @staticmethod
    def _put_versions(bucket: str, versions: dict[str, dict[str, Any]]) -> None:
        """Back into moto (in this process) with their own version ids, so a snapshot and the journal
        name each version the same way across restarts."""
        from moto.s3.models import s3_backends

        backend = s3_backends[ACCOUNT_ID]["global"]
        for version, saved in versions.items():
            body = saved["body"] if isinstance(saved["body"], bytes) else base64.b64decode(saved["body"])
            stored = backend.put_object(bucket, saved["key"], body, lock_mode=saved.get("lock_mode"),
                                        lock_until=saved.get("lock_until"),
                                        lock_legal_status=saved.get("lock_legal_status"), disable_notification=True)
            stored._version_id = version

    def _keep_keys(self) -> None:
        """Put each KMS key's saved private key back into moto's key (its id is new; the material is
        what old signatures need), or save the material of a key made for the first time."""
        from cryptography.hazmat.primitives import serialization
        from moto.kms.models import kms_backends

        backend = kms_backends[ACCOUNT_ID][REGION]
        for logical in self.template.of_type("AWS::KMS::Key"):
            key = backend.keys[self.template.resolve({"Ref": logical})]
            path = self.root / "kms" / f"{logical}.pem"
            if path.exists():
                key.private_key.private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
                continue
            pem = key.private_key.private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
            fsync_dir(path.parent)

    def compact(self, journal: Journal) -> bool:
        """A new snapshot, then drop the journal segments it covers. Writes keep flowing meanwhile: they
        land in the new segment, which is replayed over this snapshot (states, so idempotent). The closed
        segments are merged into the snapshot's files by a child process (compaction.py): files only,
        so neither moto nor this process's GIL is held while the tables are rewritten."""
        with self._lock:
            first_uncovered = journal.rotate()
            plan = {"root": str(self.root), "until": first_uncovered,
                    "tables": {self.template.physical_name(logical): [
                        logical, [k["AttributeName"] for k in self.template.properties(logical)["KeySchema"]]]
                        for logical in self.template.of_type("AWS::DynamoDB::Table")},
                    "buckets": {self.template.physical_name(logical): logical
                                for logical in self.template.of_type("AWS::S3::Bucket")}}
            merged = subprocess.run([sys.executable, "-m", "infrastructure.local.compaction"], input=json.dumps(plan),
                                    capture_output=True, text=True, cwd=PROJECT, check=False)
            if merged.returncode != 0:
                raise RuntimeError(f"compaction failed: {merged.stderr.strip()[-2000:]}")
            changed = json.loads(merged.stdout)["changed"] | self.save()
            self._write("snapshot.json", {"journal_from": first_uncovered})
            journal.remove_before(first_uncovered)
            return changed

    def _put_items(self, table: str, items: list[dict[str, Any]]) -> None:
        dynamodb = client("dynamodb")
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": {k: _binary(v, base64.b64decode) for k, v in item.items()}}}
                        for item in items[start:start + 25]]
            while requests:
                unprocessed = dynamodb.batch_write_item(RequestItems={table: requests}).get("UnprocessedItems", {})
                requests = unprocessed.get(table, [])

    def _restore_pool(self, pool_id: str, saved: dict[str, Any]) -> int:
        cognito = client("cognito-idp")
        for group in saved.get("groups", []):
            try:
                cognito.create_group(UserPoolId=pool_id, **group)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "GroupExistsException":
                    raise
        for user in saved.get("users", []):
            name = user["username"]
            cognito.admin_create_user(UserPoolId=pool_id, Username=name, UserAttributes=user["attributes"],
                                      MessageAction="SUPPRESS")
            if user["status"] == "CONFIRMED":
                cognito.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=LOCAL_PASSWORD,
                                                Permanent=True)
            for group in user["groups"]:
                cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=name, GroupName=group)
            if not user["enabled"]:
                cognito.admin_disable_user(UserPoolId=pool_id, Username=name)
        return len(saved.get("users", []))

    # ------------------------------------------------------------------ save
    def save(self) -> bool:
        """Write each user pool's groups and users if they changed (Cognito is not journaled); True if any did."""
        with self._lock:
            changed = False
            for logical in self.template.of_type("AWS::Cognito::UserPool"):
                changed |= self._write(f"cognito/{logical}.json", self._dump_pool(self.template.resolve({"Ref": logical})))
            return changed

    def _dump_pool(self, pool_id: str) -> dict[str, Any]:
        cognito = client("cognito-idp")
        groups = [{k: g[k] for k in ("GroupName", "Description", "Precedence", "RoleArn") if k in g}
                  for page in cognito.get_paginator("list_groups").paginate(UserPoolId=pool_id)
                  for g in page["Groups"]]
        users = []
        for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool_id):
            for user in page["Users"]:
                name = user["Username"]
                member_of = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username=name)["Groups"]
                users.append({
                    "username": name, "enabled": user["Enabled"], "status": user["UserStatus"],
                    "attributes": [a for a in user["Attributes"] if a["Name"] != "sub"],
                    "groups": sorted(g["GroupName"] for g in member_of),
                })
        return {"groups": sorted(groups, key=lambda g: g["GroupName"]), "users": sorted(users, key=lambda u: u["username"])}

    def autosave(self, stop: threading.Event, journal: Journal, every: float = 10.0,
                 compact_lines: int = COMPACT_AFTER_LINES,
                 compact_seconds: float = COMPACT_AFTER_SECONDS) -> None:
        """Cognito every `every` seconds; the tables' snapshot (compaction) once the journal holds
        `compact_lines` writes, or any write `compact_seconds` after the last one. The journal already
        makes every write durable: a snapshot only shortens the replay at the next start, and taking one
        reads every table (under the lock every DynamoDB call takes), so it is not done every few seconds."""
        last = time.monotonic()
        while not stop.wait(every):
            try:
                if journal.lines >= compact_lines or (journal.lines and time.monotonic() - last >= compact_seconds):
                    if self.compact(journal):
                        log.info("data saved to %s", self.root)
                    last = time.monotonic()
                else:
                    self.save()  # Cognito changes are not journaled
            except Exception:  # noqa: BLE001 — the next round tries again; shutdown saves once more
                log.exception("autosave failed")
