"""The demo organisations and users a fresh local system starts with.

Seeded through the identity capability itself — its task function's `bootstrap` job
(`{"job": "bootstrap", "organisations": [...], "users": [...]}`), the same code path
as a real bootstrap — never by writing to its table from outside. The job records
the users and starts their provisioning sagas; tokens for them come from the same
path as POST /_local/token.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from .workers import Workers, WorkerUnavailable

log = logging.getLogger("local.demo")
SEED_FUNCTION = "IdentityTasksFunction"

ORGANISATIONS = [
    {"id": "org-nak", "name": "National Archives of Korea", "type": "permanent_archive", "parent_id": None},
    {"id": "org-src", "name": "Seoul Records Centre", "type": "records_centre", "parent_id": "org-nak"},
    {"id": "org-moc", "name": "Ministry of Culture", "type": "agency", "parent_id": None},
]

# key → the user; the key is what `POST /_local/token {"demo": key}` accepts.
USERS: dict[str, dict[str, Any]] = {
    "sysadmin@nak": {"id": "u-sysadmin-nak", "org_id": "org-nak", "email": "sysadmin@nak.example",
                     "display_name": "NAK Platform Operator", "roles": ["admin", "sysadmin"]},
    "admin@src": {"id": "u-admin-src", "org_id": "org-src", "email": "admin@src.example",
                  "display_name": "SRC Administrator", "roles": ["admin"]},
    "archivist@src": {"id": "u-archivist-src", "org_id": "org-src", "email": "archivist@src.example",
                      "display_name": "SRC Archivist", "roles": ["archivist"]},
    "stacks@src": {"id": "u-stacks-src", "org_id": "org-src", "email": "stacks@src.example",
                   "display_name": "SRC Stack Manager", "roles": ["stack_manager"]},
    "requester@src": {"id": "u-requester-src", "org_id": "org-src", "email": "requester@src.example",
                      "display_name": "SRC Requester", "roles": ["requester"]},
    "auditor@src": {"id": "u-auditor-src", "org_id": "org-src", "email": "auditor@src.example",
                    "display_name": "SRC Auditor", "roles": ["auditor"]},
    "admin@moc": {"id": "u-admin-moc", "org_id": "org-moc", "email": "admin@moc.example",
                  "display_name": "MOC Administrator", "roles": ["admin"]},
}


def seed(workers: Workers) -> bool:
    """Ask the identity capability to create the demo set; False (with a warning) if it cannot."""
    worker = workers.get(SEED_FUNCTION)
    if worker is None:
        log.warning("no %s in the template: demo data not seeded", SEED_FUNCTION)
        return False
    event = {"job": "bootstrap", "organisations": ORGANISATIONS, "users": list(USERS.values())}
    try:
        invocation = worker.invoke(json.dumps(event).encode())
    except WorkerUnavailable as exc:
        log.warning("demo data not seeded: %s", exc)
        return False
    if invocation.error:
        failure = invocation.result() or {}
        log.warning("demo data not seeded: %s's bootstrap job failed: %s: %s (it is retried on the next start)",
                    SEED_FUNCTION, failure.get("errorType"), failure.get("errorMessage"))
        return False
    log.info("demo data seeded: %s", invocation.payload.decode(errors="replace"))
    return True
