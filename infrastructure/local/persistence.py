"""What survives a restart, kept as JSON under the data folder (.local/ by default).

    tables/<LogicalId>.json    every item of each DynamoDB table (DynamoDB JSON): the snapshot
    journal/<n>.log            every committed write since, fsync'ed before it was acknowledged
    snapshot.json              the first journal segment the snapshot does not cover
    cognito/<LogicalId>.json   each user pool's groups and users (attributes, status, groups)
    partner-api-key            the partner API key (X-Api-Key), as plain text
    state.json                 whether the demo data was seeded
    runtime.json               the running system's URLs (for `make job`); removed on exit

DynamoDB writes are durable when acknowledged (journal.py): start-up replays the
journal over the snapshot, so a `kill -9` loses nothing that got an answer. Snapshots
(tables and Cognito) are written atomically on shutdown and every few seconds when
something changed; each compacts the journal. Cognito users are snapshot only (the
identity table is their source of truth; its reconcile job re-applies what was missed).
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
import threading
from typing import Any

from botocore.exceptions import ClientError

from .aws import client
from .journal import Journal, fsync_dir
from .template import Template
from .tokens import LOCAL_PASSWORD

log = logging.getLogger("local.persistence")


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


def _key(item: dict[str, Any], names: list[str]) -> str:
    return json.dumps([item[name] for name in names], sort_keys=True)


def _to_text(data: bytes) -> str:
    return base64.b64encode(data).decode()


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
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:  # on disk before the journal it replaces is dropped
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
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
                key_names, {_key(item, key_names): item for item in items})
        if journal is not None:
            for table, key, item in journal.read(since=(self._read("snapshot.json") or {}).get("journal_from", 0)):
                if table not in tables:
                    continue
                key_names, items = tables[table]
                if item is None:
                    items.pop(_key(key, key_names), None)
                else:
                    items[_key(item, key_names)] = item
                counts["journaled"] += 1
        for table, (_, items) in tables.items():
            self._put_items(table, list(items.values()))
            counts["items"] += len(items)
        for logical in self.template.of_type("AWS::Cognito::UserPool"):
            saved = self._read(f"cognito/{logical}.json")
            if saved:
                counts["users"] += self._restore_pool(self.template.resolve({"Ref": logical}), saved)
        return counts

    def compact(self, journal: Journal) -> bool:
        """A new snapshot, then drop the journal segments it covers. Writes keep flowing meanwhile:
        they land in the new segment, which is replayed over this snapshot (states, so idempotent)."""
        with self._lock:
            first_uncovered = journal.rotate()
            changed = self.save()
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
    def save(self, tables: bool = True) -> bool:
        """Write whatever changed since the last write; True if anything did."""
        with self._lock:
            changed = False
            for logical in self.template.of_type("AWS::DynamoDB::Table") if tables else ():
                changed |= self._write(f"tables/{logical}.json", {"items": self._scan(self.template.physical_name(logical))})
            for logical in self.template.of_type("AWS::Cognito::UserPool"):
                changed |= self._write(f"cognito/{logical}.json", self._dump_pool(self.template.resolve({"Ref": logical})))
            return changed

    def _scan(self, table: str) -> list[dict[str, Any]]:
        items = []
        for page in client("dynamodb").get_paginator("scan").paginate(TableName=table):
            items.extend({k: _binary(v, _to_text) for k, v in item.items()} for item in page["Items"])
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))

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

    def autosave(self, stop: threading.Event, journal: Journal, every: float = 10.0) -> None:
        while not stop.wait(every):
            try:
                if journal.lines and self.compact(journal):
                    log.info("data saved to %s", self.root)
                elif not journal.lines:
                    self.save(tables=False)  # Cognito changes are not journaled
            except Exception:  # noqa: BLE001 — the next round tries again; shutdown saves once more
                log.exception("autosave failed")
