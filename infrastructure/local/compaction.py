"""Compaction from files alone: the snapshot with the journal's covered segments merged in.

The journal holds each committed write's new item states (journal.py), so the next snapshot is
the last one with those states applied: what a restore does at start, done ahead of time. It
reads and writes files only, never moto, and runs in a child process
(`python -m infrastructure.local.compaction`, the plan on stdin): a 10,000-box run spent a
seventh of the local system's CPU re-reading every table through moto's Scan under the GIL and
the lock every DynamoDB call takes, while the consumers it was serving fell behind.

Only tables and buckets the merged segments changed are rewritten. Every file is written
atomically and fsync'ed before the segments it covers are dropped (persistence.Store.compact).
This module imports nothing of moto, so the child starts in a few tens of milliseconds.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import pathlib
import sys
from typing import Any, Iterator

log = logging.getLogger("local.journal")
S3_PREFIX = "s3:"
Change = tuple[str, dict[str, Any], "dict[str, Any] | None"]  # (table, key, new state or None if deleted)


def fsync_dir(folder: pathlib.Path) -> None:
    """A new file's directory entry must be durable too, or the file can vanish in a crash."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: pathlib.Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as handle:  # on disk before the journal it replaces is dropped
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def segments(folder: pathlib.Path) -> list[tuple[int, pathlib.Path]]:
    if not folder.exists():
        return []
    return sorted((int(path.stem), path) for path in folder.glob("*.log") if path.stem.isdigit())


def read_changes(folder: pathlib.Path, since: int = 0, until: int | None = None) -> Iterator[Change]:
    """Every change in the segments numbered from `since` up to (not including) `until`, in commit order."""
    for number, path in segments(folder):
        if number < since or (until is not None and number >= until):
            continue
        with path.open("rb") as handle:
            for raw in handle:
                try:
                    record = json.loads(raw)
                except ValueError:  # a torn line: the crash came before its fsync, nothing acknowledged it
                    log.warning("ignoring an incomplete journal line at the end of %s", path.name)
                    break
                for table, key, item in record:
                    yield table, key, item


def item_key(item: dict[str, Any], names: list[str]) -> str:
    return json.dumps([item[name] for name in names], sort_keys=True)


def merge(root: pathlib.Path, tables: dict[str, list[Any]], buckets: dict[str, str], until: int) -> bool:
    """Merge the segments the snapshot does not cover, up to `until`, into its files; True if any changed.

    `tables`: physical name -> [logical id, key attribute names]; `buckets`: physical name -> logical id."""
    marker = root / "snapshot.json"
    since = json.loads(marker.read_text(encoding="utf-8")).get("journal_from", 0) if marker.exists() else 0
    items: dict[str, dict[str, Any]] = {}  # physical table -> {key: new state or None}
    versions: dict[str, list[tuple[str, str, Any]]] = {}  # physical bucket -> [(key, version, state or None)]
    for table, key, item in read_changes(root / "journal", since, until):
        if table.startswith(S3_PREFIX):
            if table[len(S3_PREFIX):] in buckets:
                versions.setdefault(table[len(S3_PREFIX):], []).append((key["key"], key["version"], item))
        elif table in tables:
            items.setdefault(table, {})[item_key(key, tables[table][1])] = item
    for table, changed in items.items():
        _merge_table(root, tables[table][0], tables[table][1], changed)
    for bucket, changes in versions.items():
        _merge_bucket(root, buckets[bucket], changes)
    return bool(items or versions)


def _merge_table(root: pathlib.Path, logical: str, names: list[str], changed: dict[str, Any]) -> None:
    path = root / "tables" / f"{logical}.json"
    saved = json.loads(path.read_text(encoding="utf-8")).get("items", []) if path.exists() else []
    by_key = {item_key(item, names): item for item in saved}
    for key, item in changed.items():
        if item is None:
            by_key.pop(key, None)
        else:
            by_key[key] = item
    # Compact JSON: with an indent, json.dumps falls back from its C encoder to pure Python.
    write_atomically(path, json.dumps({"items": [by_key[k] for k in sorted(by_key)]}, sort_keys=True,
                                      ensure_ascii=False, separators=(",", ":")))


def _merge_bucket(root: pathlib.Path, logical: str, changes: list[tuple[str, str, Any]]) -> None:
    """Each bucket's versions in the order they were stored (s3/<logical>.json) and one file per version
    (its body and lock); a later line for a version is its new lock state, a line with none its deletion."""
    listing = root / "s3" / f"{logical}.json"
    order = [tuple(entry) for entry in json.loads(listing.read_text(encoding="utf-8")).get("versions", [])] \
        if listing.exists() else []
    known = dict((version, key) for key, version in order)
    for key, version, state in changes:
        if state is None:
            known.pop(version, None)
            continue
        if version not in known:
            order.append((key, version))
            known[version] = key
        body = state["body"] if isinstance(state["body"], str) else base64.b64encode(state["body"]).decode()
        write_atomically(root / "s3" / logical / version, json.dumps(
            {"body": body, "lock_mode": state.get("lock_mode"), "lock_until": state.get("lock_until"),
             "lock_legal_status": state.get("lock_legal_status")}, sort_keys=True))
    write_atomically(listing, json.dumps({"versions": [[k, v] for k, v in order if v in known]}, sort_keys=True))


def main() -> None:
    # Behind every function and moto for the CPU: a merge of a 10,000-box run's tables (~100 MB of JSON)
    # took a core for a minute or more, and the bulk placements waiting on that core ran into their timeout.
    os.nice(19)
    plan = json.load(sys.stdin)
    changed = merge(pathlib.Path(plan["root"]), plan["tables"], plan["buckets"], plan["until"])
    print(json.dumps({"changed": changed}))


if __name__ == "__main__":
    main()
