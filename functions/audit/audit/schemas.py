"""JSON Schemas of audit's responses and query parameters, published in the OpenAPI document
(infrastructure/api/build_openapi.py): COMPONENTS and PARAMETERS name them; PATH_PARAMETERS
describe the routes' path parameters.
"""
from shared.query import param

AUDIT_ENTRY = {
    "type": "object", "required": ["seq", "prev_hash", "hash", "event"],
    "properties": {
        "seq": {"type": "integer", "minimum": 1},
        "prev_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "hash": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                 "description": "sha256 of `prev_hash|seq|canonical(event)`."},
        "event": {"type": "object", "description": "The domain-event envelope as published on the bus.",
                  "required": ["id", "type", "source", "subjects", "occurred_at"],
                  "properties": {"id": {"type": "string"}, "type": {"type": "string"}, "source": {"type": "string"},
                                 "subjects": {"type": "array", "items": {"type": "object"}},
                                 "payload": {"type": "object"}, "actor": {"type": "object"},
                                 "correlation_id": {"type": ["string", "null"]},
                                 "occurred_at": {"type": "string"}, "schema_version": {"type": "integer"}}},
    },
}
ENTITY_HISTORY = {
    "type": "object", "required": ["entity", "items", "next_cursor"],
    "properties": {
        "entity": {"type": "object", "required": ["id", "kind", "events", "head_hash"],
                   "properties": {"id": {"type": "string"}, "kind": {"type": ["string", "null"]},
                                  "events": {"type": "integer", "description": "Length of the chain."},
                                  "head_hash": {"type": "string"}}},
        "items": {"type": "array", "items": AUDIT_ENTRY},
        "next_cursor": {"type": ["string", "null"]},
        "verification": {
            "type": "object",
            "description": "Present with `verify=true`: the whole chain recomputed and compared with its head in "
                           "the latest signed checkpoint (entries appended since are checked by the hash chain only).",
            "required": ["valid", "checked"],
            "properties": {"valid": {"type": "boolean"}, "checked": {"type": "integer"},
                           "broken_at": {"type": "integer", "description": "First sequence number that fails."},
                           "head_hash": {"type": "string"},
                           "kind": {"type": "string", "enum": ["edited", "rewritten", "truncated", "deleted"],
                                    "description": "How the chain was tampered with (absent when valid)."},
                           "checkpoint": {
                               "type": "object",
                               "description": "The signed checkpoint the chain was compared with (absent until the "
                                              "first checkpoint exists). `events`/`head_hash`: this chain's head in "
                                              "it (0/null: the chain is newer than the checkpoint).",
                               "properties": {"sequence": {"type": "integer"}, "issued_at": {"type": "string"},
                                              "root": {"type": "string"}, "object": {"type": "string"},
                                              "events": {"type": "integer"},
                                              "head_hash": {"type": ["string", "null"]}}}}},
    },
}

VERIFY = param("verify", {"type": "string", "enum": ["true", "false"], "default": "false"},
               "`true` recomputes the whole hash chain and adds `verification` to the answer.")

COMPONENTS = {"EntityHistory": ENTITY_HISTORY}
PARAMETERS = {"Verify": VERIFY}
PATH_PARAMETERS = {"entity_id": "Id of any entity named by a domain event (an organisation, a user, a box ...)."}
