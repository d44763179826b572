"""RecordsDestructionFunction: the irreversible step of disposal's destruction saga, alone in its function
because its role is the only one the records bucket lets bypass governance retention (tagged
records-role=destruction; template.yaml, RecordsBucketPolicy). No event source: only the destruction
state machine invokes it.

    destroy_files  {org_id, run_id, file_ids (≤ 25), executed_by, supervisor: {name, title?}}
                   -> {"destroyed": [{file_id, title, components: [{component_id, item_id, name, sha256, size,
                       versions_deleted}]}], "skipped": [{file_id, reason}]}
"""
from __future__ import annotations

from shared.tasks import task_handler

from . import logic

handler = task_handler(steps={"destroy_files": logic.destroy_files},
                       log_keys=lambda e: {"run_id": e.get("run_id")})
