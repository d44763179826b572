"""JSON Schemas of inventory's requests and responses.

The same dicts validate requests (shared.validation) and are published in the OpenAPI
document (infrastructure/api/build_openapi.py), so they cannot drift. COMPONENTS and
PARAMETERS name what the document publishes; PATH_PARAMETERS describe the routes' path parameters.
"""
from shared.pagination import page_of
from shared.query import param

from .domain.model import CAMPAIGN_STATUSES, CONDITIONS, DECISIONS, RESULTS, TASK_STATUSES

MAX_BARCODES = 5000  # one shelf post; ~100 KB of barcodes, well inside the 256 KB body limit
MAX_RANGES = 100

NAME = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": r"\S"}
PARTNER_CLIENT_ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]*$",
                     "description": "Id of a partner client of your organisation (partners capability): any of "
                                    "its API keys may post, so the binding survives key rotation."}
ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]*$"}
BARCODE = {"type": "string", "pattern": "^[A-Za-z0-9._-]{3,64}$"}
REPOSITORY_CODE = {"type": "string", "pattern": "^[A-Z][A-Z0-9]{1,7}$",
                   "description": "A repository's code, e.g. `R01`."}
RANGE_CODE = {"type": "string", "pattern": "^[A-Z][A-Z0-9]{1,7}-[0-9]{2}$", "description": "A range, e.g. `R01-03`."}
SHELF_CODE = {"type": "string", "pattern": "^[A-Z][A-Z0-9]{1,7}-[0-9]{2}-[0-9]{2}-[0-9]{1,2}$",
              "description": "A shelf, e.g. `R01-03-05-2`."}
DATE = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "A date, yyyy-mm-dd."}
EXPECTED_AT = {"type": "string", "pattern": "^[A-Z][A-Z0-9]{1,7}-[0-9]{2}(-[0-9]{2}-[0-9]{1,2})?$",
               "description": "A range (`R01-03`) or a shelf (`R01-03-05-2`)."}
RESULT = {"type": "string", "enum": list(RESULTS)}
REPORT_FORMAT = {"type": "string", "enum": ["json", "csv", "svg"]}
_NULLABLE_STRING = {"type": ["string", "null"]}
_COUNT = {"type": "integer", "minimum": 0}
_STAMPS = {"version": {"type": "integer", "minimum": 1}, "created_at": {"type": "string"},
           "updated_at": {"type": "string"}}

# ------------------------------------------------------------------ requests
CREATE_CAMPAIGN = {
    "type": "object", "additionalProperties": False, "required": ["name", "scope"],
    "properties": {
        "name": NAME,
        "scope": {"type": "object", "additionalProperties": False, "required": ["repository_id"],
                  "properties": {"repository_id": REPOSITORY_CODE,
                                 "ranges": {"type": "array", "maxItems": MAX_RANGES, "items": RANGE_CODE,
                                            "description": "Only these ranges; all of the repository when absent."}}},
        "due_by": {**DATE, "description": "When the count should be done."},
    },
}

OPEN_SESSION = {
    "type": "object", "additionalProperties": False,
    "properties": {"name": NAME, "device": {**ID, "description": "The scanner's id, if any."},
                   "partner_client_id": {**PARTNER_CLIENT_ID,
                                         "description": "A partner scanner (a partner client with scope "
                                                        "`scans:write`) posts this session's shelves through the "
                                                        "partner route with any of its API keys."}},
}

POST_SCANS = {
    "type": "object", "additionalProperties": False, "required": ["location_id", "barcodes"],
    "properties": {
        "location_id": SHELF_CODE,
        "barcodes": {"type": "array", "minItems": 0, "maxItems": MAX_BARCODES, "items": BARCODE,
                     "description": "Every barcode read on the shelf (an empty list: the shelf was empty)."},
        "batch": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1,
                  "description": "For a shelf sent in several calls: 1, 2, ... Posting a batch again replaces it."},
    },
}

RECORD_FINDING = {
    "type": "object", "additionalProperties": False, "required": ["conditions"],
    "anyOf": [{"required": ["box_id"]}, {"required": ["barcode"]}],
    "properties": {
        "box_id": ID, "barcode": BARCODE, "location_id": SHELF_CODE,
        "conditions": {"type": "array", "minItems": 1, "maxItems": len(CONDITIONS),
                       "items": {"type": "string", "enum": list(CONDITIONS)}},
        "note": TEXT, "owner": {**ID, "description": "Who follows the task up (a user id)."},
    },
}

UPDATE_FINDING = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {
        "owner": ID, "status": {"type": "string", "enum": list(TASK_STATUSES)},
        "decision": {"type": "string", "enum": list(DECISIONS),
                     "description": "What is done about the finding (stack managers and admins)."},
        "decision_note": TEXT, "note": TEXT,
    },
}

SET_CYCLE = {
    "type": "object", "additionalProperties": False, "required": ["repository_id"],
    "properties": {
        "repository_id": REPOSITORY_CODE,
        "cycle_years": {"type": "integer", "minimum": 1, "maximum": 10, "default": 4,
                        "description": "Every holding counted at least this often (4 for permanent archives)."},
        "last_counted_on": {**DATE, "description": "When the repository was last counted in full, if before this "
                                                    "system; absent means never (due now)."},
    },
}

# ----------------------------------------------------------------- responses
SCOPE = {"type": "object", "required": ["repository_id", "ranges"],
         "properties": {"repository_id": {"type": "string"}, "ranges": {"type": "array", "items": {"type": "string"}}}}

CAMPAIGN = {
    "type": "object", "required": ["id", "name", "scope", "status", "run", "findings", "undecided_findings", "version"],
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "scope": SCOPE,
                   "status": {"type": "string", "enum": list(CAMPAIGN_STATUSES)}, "due_by": _NULLABLE_STRING,
                   "opened_by_schedule": {"type": "boolean"}, "run": _COUNT, "findings": _COUNT,
                   "undecided_findings": _COUNT, "last_error": _NULLABLE_STRING, "counted_at": _NULLABLE_STRING,
                   "closed_at": _NULLABLE_STRING, "created_by": {"type": "string"}, **_STAMPS},
}

SESSION = {
    "type": "object", "required": ["id", "campaign_id", "opened_by", "created_at"],
    "properties": {"id": {"type": "string"}, "campaign_id": {"type": "string"}, "name": _NULLABLE_STRING,
                   "device": _NULLABLE_STRING, "partner_client_id": _NULLABLE_STRING, "opened_by": {"type": "string"},
                   "created_at": {"type": "string"}},
}

SCANS_ACCEPTED = {
    "type": "object", "required": ["campaign_id", "session_id", "location_id", "batch", "received", "distinct"],
    "properties": {"campaign_id": {"type": "string"}, "session_id": {"type": "string"},
                   "location_id": {"type": "string"}, "batch": {"type": "integer"}, "received": _COUNT,
                   "distinct": _COUNT, "replaced": {"type": "boolean"}, "dropped": _COUNT},
}

RESULT_ROW = {
    "type": "object", "required": ["result", "barcode"],
    "properties": {"result": RESULT, "box_id": _NULLABLE_STRING, "barcode": {"type": "string"},
                   "expected_at": _NULLABLE_STRING, "found_at": _NULLABLE_STRING, "box_status": _NULLABLE_STRING},
}

_RESULT_COUNTS = {r: _COUNT for r in RESULTS}

REPORT = {
    "type": "object", "required": ["campaign_id", "status", "run", "totals", "ranges"],
    "properties": {
        "campaign_id": {"type": "string"}, "name": {"type": "string"},
        "status": {"type": "string", "enum": list(CAMPAIGN_STATUSES)}, "run": _COUNT, "scope": SCOPE,
        "counted_at": _NULLABLE_STRING, "expected": _COUNT, "findings": _COUNT, "undecided_findings": _COUNT,
        "totals": {"type": "object", "required": list(RESULTS), "properties": _RESULT_COUNTS},
        "ranges": {"type": "array", "items": {"type": "object", "required": ["range", *RESULTS],
                                              "properties": {"range": {"type": "string"}, **_RESULT_COUNTS}}},
    },
}

FINDING = {
    "type": "object", "required": ["id", "campaign_id", "conditions", "task", "version"],
    "properties": {
        "id": {"type": "string"}, "campaign_id": {"type": "string"}, "box_id": _NULLABLE_STRING,
        "barcode": _NULLABLE_STRING, "location_id": _NULLABLE_STRING,
        "conditions": {"type": "array", "items": {"type": "string"}}, "note": _NULLABLE_STRING,
        "task": {"type": "object", "required": ["status"],
                 "properties": {"owner": _NULLABLE_STRING, "status": {"type": "string", "enum": list(TASK_STATUSES)},
                                "decision": _NULLABLE_STRING, "decision_note": _NULLABLE_STRING}},
        "recorded_by": {"type": "string"}, **_STAMPS,
    },
}

CYCLE = {
    "type": "object", "required": ["repository_id", "cycle_years", "next_due_on", "version"],
    "properties": {"repository_id": {"type": "string"}, "cycle_years": {"type": "integer"},
                   "last_counted_on": _NULLABLE_STRING, "next_due_on": {"type": "string"},
                   "open_campaign_id": _NULLABLE_STRING, "version": {"type": "integer"},
                   "updated_at": {"type": "string"}},
}


HOLDING = {
    "type": "object", "required": ["box_id", "barcode", "status", "home_location_id", "version"],
    "properties": {"box_id": {"type": "string"}, "barcode": {"type": "string"}, "status": {"type": "string"},
                   "home_location_id": {"type": "string"}, "version": {"type": "integer"}},
}
CAMPAIGN_PAGE = page_of(CAMPAIGN)
SESSION_PAGE = page_of(SESSION)
RESULT_PAGE = page_of(RESULT_ROW)
FINDING_PAGE = page_of(FINDING)
HOLDING_PAGE = page_of(HOLDING)
CYCLE_PAGE = page_of(CYCLE)

# ------------------------------------------------------------ query parameters
RESULT_FILTER = param("result", RESULT, "Only this result.")
EXPECTED_AT_FILTER = param("location_id", EXPECTED_AT, "A range or a shelf code.", required=True)
REPORT_AS = param("format", REPORT_FORMAT,
                  "`json` (default), `csv` (one row per range) or `svg` (a bar chart); overrides Accept.")

# ------------------------------------------------------------ published
COMPONENTS = {
    "Campaign": CAMPAIGN, "CampaignPage": CAMPAIGN_PAGE, "CreateCampaign": CREATE_CAMPAIGN,
    "ScanSession": SESSION, "ScanSessionPage": SESSION_PAGE, "OpenScanSession": OPEN_SESSION,
    "PostScans": POST_SCANS, "ScansAccepted": SCANS_ACCEPTED, "StockTakeResultPage": RESULT_PAGE,
    "StockTakeReport": REPORT, "Finding": FINDING, "FindingPage": FINDING_PAGE, "RecordFinding": RECORD_FINDING,
    "UpdateFinding": UPDATE_FINDING, "ExpectedHoldingPage": HOLDING_PAGE, "CountingCycle": CYCLE,
    "CountingCyclePage": CYCLE_PAGE, "SetCountingCycle": SET_CYCLE,
}
PARAMETERS = {"StockTakeResult": RESULT_FILTER, "ExpectedAt": EXPECTED_AT_FILTER, "CampaignReportFormat": REPORT_AS}
PATH_PARAMETERS = {
    "campaign_id": "Stock-take campaign id.",
    "session_id": "Scanning session id.",
    "finding_id": "Condition finding id.",
    "repository_id": "A repository's code, e.g. `R01` (stacks').",
}
