"""JSON Schemas of transfer's requests and responses.

The same dicts validate requests (shared.validation) and are published in the OpenAPI document
(infrastructure/api/build_openapi.py), so they cannot drift. COMPONENTS and PARAMETERS name what the
document publishes; PATH_PARAMETERS describe the routes' path parameters.
"""
from shared.pagination import page_of
from shared.query import param

from .domain.model import EXPORT as EXPORT_KIND, KINDS, OUTCOMES, ROLES, STATUSES

NAME = {"type": "string", "minLength": 1, "maxLength": 300, "pattern": r"\S"}
REASON = {"type": "string", "minLength": 3, "maxLength": 2000, "pattern": r"\S", "description": "Why (kept in the history)."}
ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]*$"}
MAX_FILES = 1000
_S = {"type": "string"}
_NS = {"type": ["string", "null"]}
_INT = {"type": "integer"}
_NOBJ = {"type": ["object", "null"]}

# ------------------------------------------------------------------- requests
CREATE_TRANSFER = {
    "type": "object", "additionalProperties": False, "required": ["kind", "file_ids"],
    "properties": {
        "kind": {"type": "string", "enum": list(KINDS),
                 "description": "to_records_centre: custody to your records centre (same organisation); "
                                "to_archive: to a permanent archive (files kept 30 years or more)."},
        "receiver_org": {**ID, "description": "The permanent archive (to_archive); none for to_records_centre."},
        "title": NAME,
        "file_ids": {"type": "array", "minItems": 1, "maxItems": MAX_FILES, "uniqueItems": True, "items": ID,
                     "description": "Closed files, in no other transfer, under no hold, their access reviewed in "
                                    "the last 5 years."},
    },
}
CREATE_EXPORT = {
    "type": "object", "additionalProperties": False, "required": ["file_ids"],
    "properties": {"title": NAME,
                   "file_ids": {"type": "array", "minItems": 1, "maxItems": MAX_FILES, "uniqueItems": True,
                                "items": ID, "description": "Any files of your organisation (not destroyed)."}},
}
INSPECT_FILE = {
    "type": "object", "additionalProperties": False, "required": ["outcome"],
    "properties": {"outcome": {"type": "string", "enum": list(OUTCOMES)},
                   "reason": {**REASON, "description": "Required to reject."}},
}

# ------------------------------------------------------------------ responses
_PROBLEM = {"type": ["object", "null"], "properties": {"slug": _S, "detail": _S, "step": _NS}}
TRANSFER = {
    "type": "object", "required": ["id", "kind", "role", "sender_org", "receiver_org", "status", "file_count",
                                   "version"],
    "properties": {"id": _S, "kind": {"type": "string", "enum": [*KINDS, EXPORT_KIND]},
                   "role": {"type": "string", "enum": list(ROLES)}, "sender_org": _S, "receiver_org": _S,
                   "title": _S, "status": {"type": "string", "enum": list(STATUSES)}, "file_count": _INT,
                   "page_count": _INT, "created_by": _S, "created_at": _S, "sent_by": _NS, "sent_at": _NS,
                   "verified_at": _NS, "payload_oxum": _NS, "accepted_count": _INT, "rejected_count": _INT,
                   "accepted_by": _NS, "finished_at": _NS, "error": _PROBLEM, "version": _INT, "updated_at": _S},
}
EXPORT = {**TRANSFER, "properties": {**TRANSFER["properties"], "download": {
    "type": ["object", "null"], "description": "Once ready: presigned GETs (15 minutes) of the zipped bag and its EAD3.",
    "properties": {"bag": _S, "ead3": _S}}}}
TRANSFER_FILE = {
    "type": "object", "required": ["file_id", "state", "version"],
    "properties": {"file_id": _S, "page": _INT, "title": _NS, "producing_unit": _NS, "class_code": _NS,
                   "retention": _NS, "access": _NS, "state": _S, "components": _INT, "octets": _INT,
                   "inspection": _NOBJ, "version": _INT},
}
DUE_ENTRY = {
    "type": "object", "required": ["file_id", "kind", "due_on", "held", "access_review_stale"],
    "properties": {"as_of": _S, "kind": {"type": "string", "enum": list(KINDS)}, "file_id": _S, "title": _NS,
                   "producing_unit": _NS, "class_code": _NS, "retention": _NS, "due_on": _S, "deadline": _NS,
                   "held": {"type": "boolean"}, "access_review_stale": {"type": "boolean"},
                   "access_reviewed_on": _NS},
}
TRANSFER_PAGE = page_of(TRANSFER)
TRANSFER_FILE_PAGE = page_of(TRANSFER_FILE)
DUE_PAGE = {**page_of(DUE_ENTRY), "properties": {**page_of(DUE_ENTRY)["properties"], "as_of": _NS}}

# ------------------------------------------------------------ query parameters
STATUS = param("status", {"type": "string", "enum": list(STATUSES)}, "Only transfers of this status.")
ROLE = param("role", {"type": "string", "enum": list(ROLES)}, "Only transfers your organisation sends or receives.")
KIND = param("kind", {"type": "string", "enum": list(KINDS)}, "Only files due for this kind of transfer.")

# ------------------------------------------------------------ published
COMPONENTS = {
    "Transfer": TRANSFER, "TransferPage": TRANSFER_PAGE, "CreateTransfer": CREATE_TRANSFER,
    "TransferFile": TRANSFER_FILE, "TransferFilePage": TRANSFER_FILE_PAGE, "InspectTransferFile": INSPECT_FILE,
    "TransferDueEntry": DUE_ENTRY, "TransferExport": EXPORT, "CreateTransferExport": CREATE_EXPORT, "TransferDuePage": DUE_PAGE,
}
PARAMETERS = {"TransferStatus": STATUS, "TransferRole": ROLE, "TransferKind": KIND}
PATH_PARAMETERS = {
    "transfer_id": "Transfer (이관) id.",
    "file_id": "Record file (기록물철) id, as records names it.",
    "export_id": "Export id.",
}
