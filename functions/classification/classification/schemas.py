"""JSON Schemas of classification's requests and responses.

The same dicts validate requests (shared.validation) and are published in the OpenAPI
document (infrastructure/api/build_openapi.py), so they cannot drift. COMPONENTS and
PARAMETERS name what the document publishes; PATH_PARAMETERS describe the routes' path parameters.
"""
from shared.pagination import page_of
from shared.query import param

from .domain.model import ACCESS, ACTIONS, LEVELS, RETENTIONS, TRIGGERS, VERSION_STATUSES
from .domain.rules import CODE as CODE_PATTERN, TEXT_MAX, TITLE_MAX
from .domain.sheet import MAX_CSV_CHARS, MAX_ROWS

CODE = {"type": "string", "pattern": CODE_PATTERN.pattern,
        "description": "A node's code, unique in its version: 1-40 letters, digits, '.', '_' or '-'."}
TITLE = {"type": "string", "minLength": 1, "maxLength": TITLE_MAX, "pattern": r"\S"}
TEXT = {"type": ["string", "null"], "maxLength": TEXT_MAX}
DATE = {"type": ["string", "null"], "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "yyyy-mm-dd."}
EXPORT_FORMAT = {"type": "string", "enum": ["json", "csv"]}
_NULLABLE_STRING = {"type": ["string", "null"]}
_COUNT = {"type": "integer", "minimum": 0}

# ------------------------------------------------------------------ requests
ACCESS_IN = {
    "type": "object", "additionalProperties": False, "required": ["classification"],
    "properties": {
        "classification": {"type": "string", "enum": list(ACCESS), "description": "공개 / 부분공개 / 비공개."},
        "grounds": {"type": "array", "maxItems": 8, "items": {"type": "integer", "minimum": 1, "maximum": 8},
                    "description": "Grounds of art. 9① of the Official Information Disclosure Act (1-8): at least "
                                   "one for closed and partly_open, none for open."},
    },
}
_RULE_PROPERTIES = {
    "retention": {"type": "string", "enum": list(RETENTIONS)},
    "trigger": {"type": "string", "enum": list(TRIGGERS),
                "description": "When retention starts: 1 January of the year after the file is closed."},
    "action": {"type": "string", "enum": list(ACTIONS),
               "description": "At expiry: `review` (for destruction) or `transfer` (to the permanent archive; "
                              "required from 30y up). Default: transfer from 30y up, else review."},
    "access": ACCESS_IN,
    "notes": TEXT,
}
RULE_IN = {"type": "object", "additionalProperties": False, "required": ["retention", "access"],
           "properties": _RULE_PROPERTIES,
           "description": "The unit task's disposal rule (기록관리기준표)."}
RULE_PATCH = {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": _RULE_PROPERTIES,
              "description": "Members replace the rule's; the whole rule is checked again."}

CREATE_NODE = {
    "type": "object", "additionalProperties": False, "required": ["level", "code", "title"],
    "properties": {
        "level": {"type": "string", "enum": list(LEVELS)},
        "code": CODE,
        "parent_code": {**CODE, "description": "A sub-function's function, a unit task's sub-function."},
        "title": TITLE, "description": TEXT, "valid_from": DATE, "valid_to": DATE,
        "rule": {**RULE_IN, "description": "Unit tasks only (and required for them)."},
    },
}

UPDATE_NODE = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {"title": TITLE, "description": TEXT, "valid_from": DATE, "valid_to": DATE,
                   "parent_code": {**CODE, "description": "Move under another node of the level above."},
                   "rule": RULE_PATCH},
}

IMPORT_SHEET = {
    "type": "object", "additionalProperties": False, "required": ["csv"],
    "properties": {
        "csv": {"type": "string", "minLength": 1, "maxLength": MAX_CSV_CHARS,
                "description": f"The sheet as CSV text (UTF-8, a header row, up to {MAX_ROWS:,} rows). Columns: "
                               "level, code, parent_code, title, description, valid_from, valid_to, retention, "
                               "action, access, grounds (e.g. `5;6`), notes."},
    },
}

# ----------------------------------------------------------------- responses
ACCESS_OUT = {"type": "object", "required": ["classification", "grounds"],
              "properties": {"classification": {"type": "string", "enum": list(ACCESS)},
                             "grounds": {"type": "array", "items": {"type": "integer"}}}}
RULE = {
    "type": ["object", "null"], "required": ["retention", "trigger", "action", "access"],
    "properties": {"retention": {"type": "string", "enum": list(RETENTIONS)},
                   "trigger": {"type": "string", "enum": list(TRIGGERS)},
                   "action": {"type": "string", "enum": list(ACTIONS)}, "access": ACCESS_OUT,
                   "notes": _NULLABLE_STRING},
}

NODE = {
    "type": "object", "required": ["scheme_version", "code", "level", "title", "rule", "version"],
    "properties": {"scheme_version": {"type": "integer"}, "code": {"type": "string"},
                   "level": {"type": "string", "enum": list(LEVELS)}, "parent_code": _NULLABLE_STRING,
                   "title": {"type": "string"}, "description": _NULLABLE_STRING, "valid_from": _NULLABLE_STRING,
                   "valid_to": _NULLABLE_STRING, "rule": RULE, "children": _COUNT,
                   "version": {"type": "integer", "minimum": 1}, "created_at": {"type": "string"},
                   "updated_at": {"type": "string"}},
}

VERSION = {
    "type": "object", "required": ["scheme_version", "status", "node_count", "unit_task_count", "version"],
    "properties": {"scheme_version": {"type": "integer", "minimum": 1},
                   "status": {"type": "string", "enum": list(VERSION_STATUSES)},
                   "based_on": {"type": ["integer", "null"]}, "node_count": _COUNT, "unit_task_count": _COUNT,
                   "version": {"type": "integer", "minimum": 1}, "created_by": {"type": "string"},
                   "created_at": {"type": "string"}, "updated_at": {"type": "string"},
                   "imported_at": _NULLABLE_STRING, "published_at": _NULLABLE_STRING,
                   "published_by": _NULLABLE_STRING},
}

EXPORT = {**VERSION, "required": [*VERSION["required"], "nodes"],
          "properties": {**VERSION["properties"], "nodes": {"type": "array", "items": NODE}}}

VERSION_PAGE = page_of(VERSION)
NODE_PAGE = page_of(NODE)

# ------------------------------------------------------------ query parameters
EXPORT_AS = param("format", EXPORT_FORMAT,
                  "`json` (default: the version with every node) or `csv` (the import sheet's columns); "
                  "overrides Accept.")

# ------------------------------------------------------------ published
COMPONENTS = {
    "SchemeVersion": VERSION, "SchemeVersionPage": VERSION_PAGE, "SchemeNode": NODE, "SchemeNodePage": NODE_PAGE,
    "CreateSchemeNode": CREATE_NODE, "UpdateSchemeNode": UPDATE_NODE, "ImportSchemeSheet": IMPORT_SHEET,
    "SchemeExport": EXPORT, "DisposalRule": RULE, "DisposalRuleInput": RULE_IN, "DisposalRulePatch": RULE_PATCH,
    "AccessClassification": ACCESS_OUT, "AccessClassificationInput": ACCESS_IN,
}
PARAMETERS = {"SchemeExportFormat": EXPORT_AS}
PATH_PARAMETERS = {
    "version": "Scheme version number (1, 2, ...).",
    "code": "A node's code in that version.",
}
