"""JSON Schemas of circulation's requests and responses.

The same dicts validate requests (shared.validation) and are published in the OpenAPI
document (infrastructure/api/build_openapi.py), so they cannot drift. COMPONENTS and
PARAMETERS name what the document publishes; PATH_PARAMETERS describe the routes' path parameters.
"""
from shared.pagination import page_of
from shared.query import param

from .domain.lifecycle import STATUSES
from .domain.model import CONDITIONS, DESTINATIONS, PURPOSES, RETENTION_YEARS

BOX_ID = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"}
USER_ID = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": r"^[^\s#]+$"}
DAY = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "description": "A calendar day, YYYY-MM-DD."}
TEXT = {"type": "string", "maxLength": 2000}
PURPOSE = {"type": "string", "enum": list(PURPOSES)}
DESTINATION_KIND = {"type": "string", "enum": list(DESTINATIONS)}
RETENTION = {"type": "string", "enum": list(RETENTION_YEARS),
             "description": "The retention of the box's records as the requester knows it: it can only make the "
                            "policy stricter (the box's retention comes from the stacks)."}
STATUS = {"type": "string", "enum": list(STATUSES)}
REGISTER_FORMAT = {"type": "string", "enum": ["json", "csv"]}

DESTINATION = {
    "type": "object", "additionalProperties": False, "required": ["kind"],
    "properties": {"kind": DESTINATION_KIND,
                   "name": {"type": "string", "minLength": 1, "maxLength": 200,
                            "description": "Which room, e.g. 'Reading room 2'."}},
}

CREATE_REQUEST = {
    "type": "object", "additionalProperties": False, "required": ["box_id", "purpose", "destination", "period"],
    "properties": {
        "box_id": BOX_ID, "purpose": PURPOSE, "destination": DESTINATION,
        "period": {"type": "object", "additionalProperties": False, "required": ["from", "until"],
                   "properties": {"from": DAY, "until": {**DAY, "description": "Last day; the loan is due back by "
                                                                               "the end of it."}}},
        "note": {**TEXT, "maxLength": 1000}, "retention": RETENTION,
    },
}

REJECT = {
    "type": "object", "additionalProperties": False, "required": ["reason"],
    "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 1000, "pattern": r"\S"}},
}

RETURN = {
    "type": "object", "additionalProperties": False, "required": ["condition"],
    "properties": {"condition": {"type": "string", "enum": list(CONDITIONS)}, "condition_note": TEXT},
}

POLICY_DOCUMENT = {
    "type": "object", "additionalProperties": False,
    "required": ["max_period_days", "long_retention_years", "long_retention_purposes", "destinations",
                 "allow_self_approval"],
    "properties": {
        "max_period_days": {"type": "integer", "minimum": 1, "maximum": 365},
        "long_retention_years": {"type": "integer", "minimum": 1, "maximum": 100,
                                 "description": "Boxes whose records are kept this many years or more (or of "
                                                "unknown retention) leave only for long_retention_purposes."},
        "long_retention_purposes": {"type": "array", "items": PURPOSE, "uniqueItems": True,
                                    "maxItems": len(PURPOSES)},
        "destinations": {"type": "object", "additionalProperties": False,
                         "description": "Where boxes may go, per purpose.",
                         "properties": {p: {"type": "array", "items": DESTINATION_KIND, "uniqueItems": True,
                                            "maxItems": len(DESTINATIONS)} for p in PURPOSES}},
        "allow_self_approval": {"type": "boolean"},
    },
}

# ------------------------------------------------------------------ responses
PARTY = {"type": "object", "required": ["user_id", "org_id", "roles"],
         "properties": {"user_id": {"type": "string"}, "org_id": {"type": ["string", "null"]},
                        "roles": {"type": "array", "items": {"type": "string"}}}}

REQUEST = {
    "type": "object",
    "required": ["id", "org_id", "box_id", "purpose", "destination", "period", "status", "requester", "version"],
    "properties": {
        "id": {"type": "string"}, "org_id": {"type": "string"}, "box_id": {"type": "string"}, "purpose": PURPOSE,
        "destination": {"type": "object", "properties": {"kind": DESTINATION_KIND,
                                                         "name": {"type": ["string", "null"]}}},
        "period": {"type": "object", "properties": {"from": {"type": "string"}, "until": {"type": "string"}}},
        "note": {"type": ["string", "null"]}, "retention": {"type": ["string", "null"]}, "status": STATUS,
        "requester": PARTY, "approver": {"oneOf": [PARTY, {"type": "null"}]},
        "decision": {"type": ["object", "null"]},
        "loan": {"type": ["object", "null"], "description": "The current check-out attempt, once one began.",
                 "properties": {"id": {"type": "string"}, "attempt": {"type": "integer"},
                                "checked_out_at": {"type": ["string", "null"]}, "due": {"type": "string"},
                                "returned_at": {"type": ["string", "null"]},
                                "condition": {"type": ["string", "null"]},
                                "condition_note": {"type": ["string", "null"]}}},
        "queued_at": {"type": ["string", "null"]}, "ready_at": {"type": ["string", "null"]},
        "last_failure": {"type": ["string", "null"]}, "version": {"type": "integer"},
        "created_at": {"type": "string"}, "updated_at": {"type": "string"},
    },
}

REGISTER_ENTRY = {
    "type": "object", "required": ["at", "action", "request_id", "loan_id", "box_id", "requester", "handled_by"],
    "properties": {
        "at": {"type": "string"},
        "action": {"type": "string", "enum": ["check_out", "return", "check_out_cancelled", "return_cancelled"]},
        "request_id": {"type": "string"}, "loan_id": {"type": "string"}, "box_id": {"type": "string"},
        "box_barcode": {"type": ["string", "null"]}, "box_title": {"type": ["string", "null"]},
        "requester": {"type": "string"}, "handled_by": {"type": "string"}, "purpose": PURPOSE,
        "destination": {"type": "object"}, "period": {"type": "object"},
        "condition": {"type": ["string", "null"]}, "condition_note": {"type": ["string", "null"]},
        "reason": {"type": ["string", "null"]},
    },
}

POLICY = {
    "type": "object", "required": [*POLICY_DOCUMENT["required"], "version"],
    "properties": {**POLICY_DOCUMENT["properties"], "version": {"type": "integer"},
                   "updated_at": {"type": ["string", "null"]}, "updated_by": {"type": ["string", "null"]}},
}



REQUEST_PAGE = page_of(REQUEST)
REGISTER_PAGE = page_of(REGISTER_ENTRY)

# ------------------------------------------------------------ query parameters
REQUEST_STATUS = param("status", STATUS, "Only requests in this status.")
REQUEST_BOX = param("box_id", BOX_ID, "Only requests for this box.")
REQUESTER = param("requester", USER_ID, "Only this person's requests (user id).")
REGISTER_FROM = param("from", DAY, "First day (YYYY-MM-DD, UTC).")
REGISTER_UNTIL = param("until", DAY, "Last day (YYYY-MM-DD, UTC).")
REGISTER_BOX = param("box_id", BOX_ID, "Only this box's entries.")
REGISTER_PERSON = param("person", USER_ID, "Only entries this person requested or handled (user id).")
REGISTER_AS = param("format", REGISTER_FORMAT, "`json` (default) or `csv` (the whole selection, no paging).")

# ------------------------------------------------------------ published
COMPONENTS = {
    "LoanRequest": REQUEST, "LoanRequestPage": REQUEST_PAGE, "CreateLoanRequest": CREATE_REQUEST,
    "RejectLoanRequest": REJECT, "ReturnLoan": RETURN, "RegisterPage": REGISTER_PAGE,
    "CirculationPolicy": POLICY, "CirculationPolicyDocument": POLICY_DOCUMENT,
}
PARAMETERS = {
    "LoanRequestStatus": REQUEST_STATUS, "LoanRequestBox": REQUEST_BOX, "Requester": REQUESTER,
    "RegisterFrom": REGISTER_FROM, "RegisterUntil": REGISTER_UNTIL, "RegisterBox": REGISTER_BOX,
    "RegisterPerson": REGISTER_PERSON, "RegisterFormat": REGISTER_AS,
}
PATH_PARAMETERS = {"request_id": "Check-out request id."}


# ---------------------------------------------------------------------- bulk
MAX_DECISIONS = 50  # decided synchronously (logic/bulk.py), inside the function's 15 s
DECIDE_MANY = {
    "type": "object", "additionalProperties": False, "required": ["decision", "request_ids"],
    "properties": {
        "decision": {"type": "string", "enum": ["approve", "reject"]},
        "request_ids": {"type": "array", "minItems": 1, "maxItems": MAX_DECISIONS,
                        "items": {"type": "string", "minLength": 1, "maxLength": 100}},
        "reason": REJECT["properties"]["reason"],
    },
    "if": {"properties": {"decision": {"const": "reject"}}, "required": ["decision"]},
    "then": {"required": ["reason"]},
}
DECISIONS = {
    "type": "object", "required": ["decision", "summary", "results"],
    "properties": {
        "decision": {"type": "string", "enum": ["approve", "reject"]},
        "summary": {"type": "object", "properties": {k: {"type": "integer"} for k in
                                                     ("approved", "queued", "rejected", "failed")}},
        "results": {"type": "array", "items": {
            "type": "object", "required": ["request_id", "outcome"],
            "properties": {"request_id": {"type": "string"},
                           "outcome": {"type": "string", "enum": ["approved", "queued", "rejected", "failed"]},
                           "status": STATUS, "version": {"type": "integer"},
                           "problem": {"type": "object", "required": ["type", "status", "detail"],
                                       "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                                                      "status": {"type": "integer"},
                                                      "detail": {"type": "string"}}}}}},
    },
}
COMPONENTS |= {"DecideLoanRequests": DECIDE_MANY, "LoanRequestDecisions": DECISIONS}
