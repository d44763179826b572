"""The demo organisations and users a fresh local system starts with, and its demo partner.

Seeded through the identity capability itself — its task function's `bootstrap` job
(`{"job": "bootstrap", "organisations": [...], "users": [...]}`), the same code path
as a real bootstrap — never by writing to its table from outside. The job records
the users and starts their provisioning sagas; tokens for them come from the same
path as POST /_local/token.

The demo partner client (every scope, every event type, of org-src) and its API key are
made through the partners capability's own routes, called as the API calls them after the
staff authorizer admitted admin@src; the key (shown once) is kept in the data folder's
`partner-api-key` and printed at start.
"""
from __future__ import annotations

import json
import logging
import os
import pathlib
from typing import Any

from infrastructure.aws_events import api_event, claims
from shared.auth import PARTNER_SCOPES

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
    "archivist@nak": {"id": "u-archivist-nak", "org_id": "org-nak", "email": "archivist@nak.example",
                      "display_name": "NAK Archivist", "roles": ["archivist"]},  # receives transfers (인수)
    "admin@moc": {"id": "u-admin-moc", "org_id": "org-moc", "email": "admin@moc.example",
                  "display_name": "MOC Administrator", "roles": ["admin"]},
}


PARTNER_FUNCTION = "PartnersFunction"
PARTNER_ADMIN = "admin@src"
PARTNER_CLIENT = {"name": "Demo partner (every scope)", "contact": {"name": "Demo", "email": "partner@demo.example"},
                  "scopes": sorted(PARTNER_SCOPES),
                  "event_types": ["*"], "quota": {"per_minute": 6000, "per_day": 1_000_000}}


def seed_partner(workers: Workers, key_file: pathlib.Path) -> str | None:
    """The demo partner's API key: the one kept in `key_file`, else a new client and key (None if it cannot)."""
    if key_file.exists() and key_file.read_text(encoding="utf-8").startswith("rmk_"):
        return key_file.read_text(encoding="utf-8").strip()
    worker = workers.get(PARTNER_FUNCTION)
    if worker is None:
        log.warning("no %s in the template: no demo partner", PARTNER_FUNCTION)
        return None
    admin = USERS[PARTNER_ADMIN]
    who = claims(admin["id"], admin["org_id"], admin["roles"], admin["email"])

    def call(method: str, path: str, body: dict[str, Any], **kw: Any) -> dict[str, Any] | None:
        event = api_event(method, path, body=body, claims=who, **kw)
        try:
            answer = worker.invoke(json.dumps(event).encode()).result() or {}
        except WorkerUnavailable as exc:
            log.warning("no demo partner: %s", exc)
            return None
        if answer.get("statusCode") != 201:
            log.warning("no demo partner: %s %s answered %s", method, path, answer.get("statusCode"))
            return None
        return json.loads(answer["body"])

    client = call("POST", "/partners/clients", PARTNER_CLIENT, headers={"Idempotency-Key": "demo-partner-client"})
    issued = client and call("POST", "/partners/clients/{client_id}/keys", {},
                             path_params={"client_id": client["id"]})
    if not issued:
        return None
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(issued["secret"] + "\n", encoding="utf-8")
    os.chmod(key_file, 0o600)
    log.info("demo partner client %s of %s: key %s", client["id"], admin["org_id"], issued["key"]["id"])
    return issued["secret"]


SEED_ATTEMPTS = 3


def seed(workers: Workers) -> bool:
    """Ask the identity capability to create the demo set; False (with a warning) if it cannot."""
    worker = workers.get(SEED_FUNCTION)
    if worker is None:
        log.warning("no %s in the template: demo data not seeded", SEED_FUNCTION)
        return False
    event = {"job": "bootstrap", "organisations": ORGANISATIONS, "users": list(USERS.values())}
    # The job is idempotent: on a loaded machine its first, cold invocation can outrun the function's
    # timeout, and the next one (warm, with part of the set already there) finishes.
    for attempt in range(1, SEED_ATTEMPTS + 1):
        try:
            invocation = worker.invoke(json.dumps(event).encode())
        except WorkerUnavailable as exc:
            log.warning("demo data not seeded: %s", exc)
            return False
        if not invocation.error:
            break
        failure = invocation.result() or {}
        log.warning("demo data not seeded (attempt %d of %d): %s's bootstrap job failed: %s: %s%s", attempt,
                    SEED_ATTEMPTS, SEED_FUNCTION, failure.get("errorType"), failure.get("errorMessage"),
                    "" if attempt < SEED_ATTEMPTS else " (it is retried on the next start)")
    else:
        return False
    log.info("demo data seeded: %s", invocation.payload.decode(errors="replace"))
    return True
