"""JSON Schemas of records' requests and responses.

The same dicts validate requests (shared.validation) and are published in the OpenAPI
document (infrastructure/api/build_openapi.py), so they cannot drift. COMPONENTS and
PARAMETERS name what the document publishes; PATH_PARAMETERS describe the routes' path parameters.
"""
from shared.jobs import JOB_SCHEMA, MAX_ROWS, ROW_ERROR_SCHEMA
from shared.pagination import page_of
from shared.query import param

from .domain.lifecycle import STATUSES
from .domain.model import (ACCESS_CLASSES, ACTIONS, FILE_REDACTABLE, ITEM_REDACTABLE, RECORD_TYPES, RETENTIONS,
                           REVIEW_STATUSES)

NAME = {"type": "string", "minLength": 1, "maxLength": 300, "pattern": r"\S"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 4000, "pattern": r"\S"}
REASON = {"type": "string", "minLength": 3, "maxLength": 2000, "pattern": r"\S",
          "description": "Why (kept in the file's history)."}
ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]*$"}
CODE = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$",
        "description": "A unit task's (단위과제) code."}
REFERENCE = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._/-]*$"}
DATE = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "A date, yyyy-mm-dd."}
LANGUAGE = {"type": "string", "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", "description": "BCP 47, e.g. `ko`."}
RETENTION = {"type": "string", "enum": list(RETENTIONS)}
ACTION = {"type": "string", "enum": list(ACTIONS)}
RECORD_TYPE = {"type": "string", "enum": list(RECORD_TYPES),
               "description": "일반문서, 도면, 사진·필름, 녹음·동영상, 카드, 대장."}
STATUS = {"type": "string", "enum": list(STATUSES)}
_NULLABLE_STRING = {"type": ["string", "null"]}
_NULLABLE_INT = {"type": ["integer", "null"]}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_STAMPS = {"version": {"type": "integer", "minimum": 1}, "created_by": {"type": "string"},
           "created_at": {"type": "string"}, "updated_at": {"type": "string"}}


def _access(redactable: tuple[str, ...]) -> dict:
    return {
        "type": "object", "additionalProperties": False, "required": ["classification"],
        "properties": {
            "classification": {"type": "string", "enum": list(ACCESS_CLASSES),
                               "description": "공개 (open), 부분공개 (partly_open) or 비공개 (closed)."},
            "grounds": {"type": "array", "maxItems": 8, "items": {"type": "integer", "minimum": 1, "maximum": 8},
                        "description": "Official Information Disclosure Act art. 9① grounds (1–8) of what is closed."},
            "closed_fields": {"type": "array", "maxItems": len(redactable),
                              "items": {"type": "string", "enum": list(redactable)},
                              "description": "Partly open: the metadata requesters do not see."},
            "review_on": {**DATE, "description": "Next re-review (default: 5 years on, for a non-open record)."},
            "extended_until": {**DATE, "description": "The 30-year rule is postponed to this date (an extension)."},
        },
    }


FILE_ACCESS = _access(FILE_REDACTABLE)
ITEM_ACCESS = _access(ITEM_REDACTABLE)

# ------------------------------------------------------------------ requests
_FILE_FIELDS = {
    "title": NAME, "producing_unit": {**NAME, "description": "처리과: the unit that produced the file."},
    "creator": NAME, "record_type": RECORD_TYPE, "electronic": {"type": "boolean"},
    "start_date": DATE, "end_date": DATE, "volume": {"type": "integer", "minimum": 1, "maximum": 10000},
    "language": LANGUAGE, "keywords": {"type": "array", "maxItems": 50, "items": NAME}, "description": TEXT,
}

CREATE_FILE = {
    "type": "object", "additionalProperties": False,
    "required": ["class_code", "title", "producing_unit", "record_type", "electronic"],
    "properties": {"class_code": CODE, "reference": {**REFERENCE, "description": "Your own file number, unique."},
                   **_FILE_FIELDS, "access": FILE_ACCESS},
}

UPDATE_FILE = {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": _FILE_FIELDS}

CLOSE_FILE = {
    "type": "object", "additionalProperties": False,
    "properties": {"closed_on": {**DATE, "description": "The day the file was completed (default: today)."}},
}

OVERRIDE_RETENTION = {
    "type": "object", "additionalProperties": False, "required": ["retention", "reason"],
    "properties": {"retention": RETENTION,
                   "action": {**ACTION, "description": "Default: transfer for 30y or more, review otherwise."},
                   "reason": REASON},
}

REAPPLY_RULE = {
    "type": "object", "additionalProperties": False, "required": ["reason"],
    "properties": {"scheme_version": {"type": "integer", "minimum": 1,
                                      "description": "A usable published version (default: the current one)."},
                   "reason": REASON},
}

_ITEM_FIELDS = {
    "title": NAME, "author": NAME, "date": {**DATE, "description": "When the item was produced."},
    "pages": {"type": "integer", "minimum": 0, "maximum": 1000000},
    "attachments": {"type": "array", "maxItems": 100, "items": NAME, "description": "Names of its attachments."},
    "description": TEXT,
}

REGISTRATION_NUMBER = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._/-]*$",
                       "description": "등록번호: unique within the organisation."}

CREATE_ITEM = {
    "type": "object", "additionalProperties": False, "required": ["registration_number", "title"],
    "properties": {"registration_number": REGISTRATION_NUMBER, **_ITEM_FIELDS,
                   "access": {**ITEM_ACCESS, "description": "Default: the file's classification and grounds."}},
}

UPDATE_ITEM = {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": _ITEM_FIELDS}


def _change_access(access: dict) -> dict:
    return {**access, "required": ["classification", "reason"],
            "properties": {**access["properties"], "reason": REASON}}


CHANGE_FILE_ACCESS = _change_access(FILE_ACCESS)
CHANGE_ITEM_ACCESS = _change_access(ITEM_ACCESS)

COMPLETE_REVIEW = {
    "type": "object", "additionalProperties": False, "required": ["note"],
    "properties": {"note": {**REASON, "description": "Why the classification stays as it is."}},
}

# Bulk registration (a long job): the upload, and each row as the job validates it.
IMPORT = {
    "type": "object", "additionalProperties": False, "required": ["rows"],
    "description": "Rows of files and items, in order (an item after its file). Or send the rows as `text/csv` "
                   "with a header row instead of this JSON body.",
    "properties": {"rows": {"type": "array", "minItems": 1, "maxItems": MAX_ROWS, "items": {"type": "object"}}},
}

IMPORT_FILE_ROW = {
    "type": "object", "additionalProperties": False,
    "required": ["record", "reference", "class_code", "title", "producing_unit", "record_type", "electronic"],
    "properties": {"record": {"const": "file"}, **CREATE_FILE["properties"], "reference": REFERENCE,
                   "closed_on": {**DATE, "description": "Registers the file closed on that day (legacy records)."}},
}

IMPORT_ITEM_ROW = {
    "type": "object", "additionalProperties": False, "required": ["record", "registration_number", "title"],
    "anyOf": [{"required": ["file_reference"]}, {"required": ["file_id"]}],
    "properties": {"record": {"const": "item"}, "file_reference": REFERENCE, "file_id": ID,
                   **CREATE_ITEM["properties"]},
}

# ----------------------------------------------------------------- responses
ACCESS = {
    "type": "object", "required": ["classification", "grounds"],
    "properties": {"classification": {"type": "string", "enum": list(ACCESS_CLASSES)},
                   "grounds": {"type": "array", "items": {"type": "integer"}}, "closed_fields": _STRINGS,
                   "review_on": _NULLABLE_STRING, "extended_until": _NULLABLE_STRING},
}

RULE = {
    "type": "object", "required": ["retention", "action"],
    "properties": {"retention": RETENTION, "trigger": {"type": "string"}, "action": ACTION,
                   "access": {"type": "object", "properties": {"classification": {"type": "string"},
                                                               "grounds": {"type": "array"}}},
                   "notes": _NULLABLE_STRING},
}

BOX_LINK = {
    "type": "object", "required": ["box_id", "barcode", "status"],
    "properties": {"box_id": {"type": "string"}, "barcode": {"type": "string"}, "status": {"type": "string"},
                   "location": {"type": ["object", "null"], "properties": {"kind": _NULLABLE_STRING,
                                                                          "id": {"type": "string"}}}},
}

FILE = {
    "type": "object", "required": ["id", "class_code", "status", "access", "version"],
    "description": "A file as the caller may see it: requesters get closed fields as null and their names in "
                   "`redacted`; a closed file only what identifies it.",
    "properties": {
        "id": {"type": "string"}, "reference": _NULLABLE_STRING, "class_code": {"type": "string"},
        "class_title": _NULLABLE_STRING, "scheme_version": {"type": "integer"}, "rule_version": {"type": "integer"},
        "rule": RULE, "title": _NULLABLE_STRING, "producing_unit": _NULLABLE_STRING, "creator": _NULLABLE_STRING,
        "record_type": {"type": "string"}, "electronic": {"type": "boolean"}, "start_date": _NULLABLE_STRING,
        "end_date": _NULLABLE_STRING, "volume": {"type": "integer"}, "language": _NULLABLE_STRING,
        "keywords": _STRINGS, "description": _NULLABLE_STRING, "status": STATUS, "retention": RETENTION,
        "action": ACTION, "retention_overridden": {"type": "boolean"}, "closed_on": _NULLABLE_STRING,
        "production_year": _NULLABLE_INT, "retention_starts_on": _NULLABLE_STRING,
        "disposal_due": {"type": ["string", "null"], "description": "None for 영구 (permanent)."},
        "access": ACCESS, "review_task_id": _NULLABLE_STRING, "boxes": {"type": "array", "items": BOX_LINK},
        "prior_status": {"type": ["string", "null"], "description": "While a saga holds the file (being_…): the "
                                                                     "status it goes back to if the saga is undone."},
        "transfer_id": {"type": ["string", "null"], "description": "The transfer that marked the file."},
        "custody": {"type": "object", "description": "Who keeps the file: `producing_unit` (default), "
                                                     "`records_centre` or `received` (from `from_org`), with "
                                                     "the `transfer_id` and `since`.",
                    "properties": {"holder": {"type": "string"}, "transfer_id": {"type": "string"},
                                   "from_org": {"type": "string"}, "since": {"type": "string"}}},
        "transferred_to": {"type": ["object", "null"], "description": "Residual transfer record: the "
                                                                      "organisation that took the file.",
                           "properties": {"org": {"type": "string"}, "transfer_id": {"type": "string"},
                                          "at": {"type": "string"}}},
        "destruction": {"type": ["object", "null"],
                        "description": "The destruction run holding (`being_destroyed`) or that destroyed the file "
                                       "(a residual record: metadata and history, no content).",
                        "properties": {"run_id": {"type": "string"}, "destroyed_at": _NULLABLE_STRING}},
        "redacted": _STRINGS, **_STAMPS,
    },
}

UNIT_TASK = {
    "type": "object", "required": ["code", "title", "scheme_version", "rule"],
    "properties": {"code": {"type": "string"}, "title": {"type": "string"}, "scheme_version": {"type": "integer"},
                   "path": {"type": "array", "items": {"type": "object"}}, "valid_from": _NULLABLE_STRING,
                   "valid_to": _NULLABLE_STRING, "rule": RULE},
}

ITEM = {
    "type": "object", "required": ["id", "file_id", "registration_number", "access", "version"],
    "description": "An item as the caller may see it (requesters: closed fields null and named in `redacted`).",
    "properties": {"id": {"type": "string"}, "file_id": {"type": "string"},
                   "registration_number": {"type": "string"}, "title": _NULLABLE_STRING, "author": _NULLABLE_STRING,
                   "date": _NULLABLE_STRING, "pages": _NULLABLE_INT, "attachments": _STRINGS,
                   "description": _NULLABLE_STRING, "access": ACCESS, "redacted": _STRINGS, **_STAMPS},
}

REVIEW = {
    "type": "object", "required": ["id", "file_id", "due_on", "status", "version"],
    "properties": {"id": {"type": "string"}, "file_id": {"type": "string"}, "file_title": _NULLABLE_STRING,
                   "due_on": {"type": "string"}, "classification": {"type": "string"},
                   "status": {"type": "string", "enum": list(REVIEW_STATUSES)},
                   "outcome": {"type": ["string", "null"], "enum": [None, "kept", "changed",
                                                                  "opened_by_thirty_year_rule"]},
                   "note": _NULLABLE_STRING, "completed_by": _NULLABLE_STRING, "completed_at": _NULLABLE_STRING,
                   "version": {"type": "integer"}, "created_at": {"type": "string"}, "updated_at": {"type": "string"}},
}

DESCRIPTION = {
    "type": "object", "required": ["file", "items", "boxes", "exported_at"],
    "properties": {"file": FILE, "items": {"type": "array", "items": ITEM},
                   "boxes": {"type": "array", "items": BOX_LINK}, "exported_at": {"type": "string"}},
}

JOB = JOB_SCHEMA
JOB_PAGE = page_of(JOB)
ROW_ERROR_PAGE = page_of(ROW_ERROR_SCHEMA)

FILE_PAGE = page_of(FILE)
ITEM_PAGE = page_of(ITEM)
REVIEW_PAGE = page_of(REVIEW)
UNIT_TASK_PAGE = page_of(UNIT_TASK)

# ------------------------------------------------------------ query parameters
STATUS_FILTER = param("status", STATUS, "Only files of this status.")
CLASS_FILTER = param("class_code", CODE, "Only files filed under this class.")
LIST_FORMAT = param("format", {"type": "string", "enum": ["json", "csv"]},
                    "`json` (default, a page) or `csv` (every matching row, no paging; at most 10,000).")
REVIEW_STATUS = param("status", {"type": "string", "enum": list(REVIEW_STATUSES), "default": "open"},
                      "Open (default) or done reviews.")
SCHEME_VERSION = param("scheme_version", {"type": "integer", "minimum": 1},
                       "A usable published version (default: the current one).")

# ------------------------------------------------------------ published
COMPONENTS = {
    "RecordFile": FILE, "RecordFilePage": FILE_PAGE, "CreateRecordFile": CREATE_FILE,
    "UpdateRecordFile": UPDATE_FILE, "CloseRecordFile": CLOSE_FILE, "OverrideRetention": OVERRIDE_RETENTION,
    "ReapplyRetentionRule": REAPPLY_RULE, "RecordClass": UNIT_TASK, "RecordClassPage": UNIT_TASK_PAGE,
    "RecordItem": ITEM, "RecordItemPage": ITEM_PAGE, "CreateRecordItem": CREATE_ITEM, "UpdateRecordItem": UPDATE_ITEM,
    "ChangeFileAccess": CHANGE_FILE_ACCESS, "ChangeItemAccess": CHANGE_ITEM_ACCESS, "AccessReview": REVIEW,
    "AccessReviewPage": REVIEW_PAGE, "CompleteAccessReview": COMPLETE_REVIEW, "RecordFileDescription": DESCRIPTION,
    "RecordsImport": IMPORT, "RecordsImportFileRow": IMPORT_FILE_ROW, "RecordsImportItemRow": IMPORT_ITEM_ROW,
    "Job": JOB, "RecordsJobPage": JOB_PAGE, "RecordsJobRowErrorPage": ROW_ERROR_PAGE,
}
PARAMETERS = {"RecordFileStatus": STATUS_FILTER, "RecordClassCode": CLASS_FILTER, "SchemeVersion": SCHEME_VERSION,
              "RecordListFormat": LIST_FORMAT, "AccessReviewStatus": REVIEW_STATUS}
PATH_PARAMETERS = {
    "file_id": "Record file (기록물철) id.",
    "item_id": "Record item (기록물건) id.",
    "review_id": "Access review id.",
    "job_id": "Long job (bulk registration) id.",
}


# ---- components (digital components and fixity: logic/components.py, logic/fixity.py)
from .domain import components as component_rules  # noqa: E402  (this section's own rules)
from .domain import fixity as fixity_rules  # noqa: E402

_COMPONENT_TEXT = {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": r"\S"}
_SHA256 = {"type": "string", "pattern": r"^\s*([0-9A-Fa-f]{64}|[A-Za-z0-9+/]{43}=)\s*$",
           "description": "SHA-256 of the bytes: 64 hex digits (as `sha256sum` prints it) or the base64 of the "
                          "32 bytes (as S3's `x-amz-checksum-sha256` carries it). Kept and answered as hex."}
_MEDIA_TYPE = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9!#&^_.+-]{0,63}/[A-Za-z0-9][A-Za-z0-9!#&^_.+-]{0,63}$",
               "description": "The IANA media type of the bytes, e.g. `application/pdf` (no parameters)."}
_FILENAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[^/\\\x00-\x1f]*[^/\\\x00-\x1f\s][^/\\\x00-\x1f]*$",
             "description": "The original file name (no folders)."}
_HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_NULLABLE = {"type": ["string", "null"]}

REQUEST_COMPONENT_UPLOAD = {
    "type": "object", "additionalProperties": False, "required": ["filename", "media_type", "size", "sha256"],
    "properties": {
        "filename": _FILENAME, "media_type": _MEDIA_TYPE,
        "size": {"type": "integer", "minimum": 1, "maximum": component_rules.MAX_COMPONENT_BYTES,
                 "description": f"Bytes; above {component_rules.MULTIPART_THRESHOLD // component_rules.MIB} MiB the "
                                "upload is multipart."},
        "sha256": _SHA256,
    },
}
COMPLETE_COMPONENT_UPLOAD = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "parts": {"type": "array", "minItems": 1, "maxItems": component_rules.MAX_PARTS,
                  "description": "Multipart uploads only: every part's number and the ETag S3 answered its PUT with.",
                  "items": {"type": "object", "additionalProperties": False, "required": ["part_number", "etag"],
                            "properties": {"part_number": {"type": "integer", "minimum": 1,
                                                           "maximum": component_rules.MAX_PARTS},
                                           "etag": {"type": "string", "minLength": 1, "maxLength": 128}}}},
        "label": {**_COMPONENT_TEXT, "maxLength": 200}, "description": _COMPONENT_TEXT,
    },
}
DESCRIBE_COMPONENT = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "description": "Only the description of a component changes; its bytes, size, checksum and media type never do.",
    "properties": {"label": {"type": ["string", "null"], "minLength": 1, "maxLength": 200, "pattern": r"\S"},
                   "description": {"type": ["string", "null"], "minLength": 1, "maxLength": 2000, "pattern": r"\S"}},
}
RESOLVE_FIXITY_FOLLOW_UP = {
    "type": "object", "additionalProperties": False, "required": ["resolution"],
    "properties": {"resolution": {"type": "string", "enum": list(fixity_rules.RESOLUTIONS)}, "note": _COMPONENT_TEXT},
}

_MISMATCH = {"type": "object", "properties": {"field": {"type": "string", "enum": ["size", "sha256"]},
                                              "declared": {}, "found": {}}}
_PRESIGNED = {"type": "string", "description": "A presigned S3 URL (valid 15 minutes)."}
COMPONENT_UPLOAD = {
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "file_id": {"type": "string"}, "item_id": {"type": "string"},
        "filename": {"type": "string"}, "media_type": {"type": "string"}, "size": {"type": "integer"},
        "sha256": _HEX64, "method": {"type": "string", "enum": ["put", "multipart"]},
        "part_size": {"type": ["integer", "null"]},
        "status": {"type": "string", "enum": list(component_rules.UPLOAD_STATUSES)},
        "mismatches": {"type": "array", "items": _MISMATCH}, "component_id": _NULLABLE,
        "expires_at": {"type": "string"}, "created_by": {"type": "string"}, "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "upload": {
            "type": "object", "description": "How to send the bytes (in the answer to the request only).",
            "properties": {
                "method": {"type": "string", "enum": ["PUT", "multipart"]}, "url": _PRESIGNED,
                "headers": {"type": "object", "additionalProperties": {"type": "string"},
                            "description": "Send exactly these headers with the PUT: they are signed, and S3 "
                                           "refuses bytes whose SHA-256 is not the declared one."},
                "part_size": {"type": "integer"},
                "parts": {"type": "array", "items": {"type": "object", "properties": {
                    "part_number": {"type": "integer"}, "size": {"type": "integer"}, "method": {"type": "string"},
                    "url": _PRESIGNED}}}}},
    },
}
COMPONENT = {
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "file_id": {"type": "string"}, "item_id": {"type": "string"},
        "filename": _NULLABLE, "media_type": {"type": "string"}, "size": {"type": "integer"}, "sha256": _HEX64,
        "label": _NULLABLE, "description": _NULLABLE, "captured_by": {"type": "string"},
        "captured_at": {"type": "string"},
        "fixity": {"type": "object", "properties": {"status": {"type": "string", "enum": ["unchecked", "ok", "failed"]},
                                                    "checked_at": _NULLABLE}},
        "access": {"type": "string", "description": "The item's effective access classification."},
        "downloadable": {"type": "boolean", "description": "Whether the caller may download it."},
        "redacted": {"type": "boolean"}, "version": {"type": "integer"}, "updated_at": {"type": "string"},
        "status": {"type": "string", "enum": ["captured", "destroyed"],
                   "description": "`destroyed`: its bytes were deleted by a destruction run; metadata and SHA-256 "
                                  "remain."},
        "destruction": {"type": ["object", "null"], "properties": {
            "run_id": {"type": "string"}, "destroyed_at": {"type": "string"},
            "versions_deleted": {"type": "integer"}}},
    },
}
COMPONENT_DOWNLOAD = {
    "type": "object",
    "properties": {"url": {"type": "string", "description": "A presigned GET of the captured version (5 minutes)."},
                   "method": {"type": "string"}, "expires_at": {"type": "string"}, "filename": {"type": "string"},
                   "media_type": {"type": "string"}, "size": {"type": "integer"}, "sha256": _HEX64},
}
FIXITY_RUN = {
    "type": "object",
    "properties": {"run_id": {"type": "string"}, "started_at": {"type": "string"}, "finished_at": _NULLABLE,
                   "checked": {"type": "integer"}, "ok": {"type": "integer"}, "failed": {"type": "integer"},
                   "bytes_read": {"type": "integer"},
                   "backlog": {"type": "boolean", "description": "More components were due than the run's budget."},
                   "failures": {"type": "array", "items": {"type": "object", "properties": {
                       "component_id": {"type": "string"}, "file_id": {"type": "string"},
                       "item_id": {"type": "string"}, "reason": {"type": "string"}, "detail": {"type": "string"}}}}},
}
FIXITY_FOLLOW_UP = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "component_id": {"type": "string"}, "file_id": {"type": "string"},
                   "item_id": {"type": "string"},
                   "reason": {"type": "string", "enum": list(fixity_rules.FAILURE_REASONS)},
                   "detail": {"type": "string"}, "run_id": {"type": "string"},
                   "status": {"type": "string", "enum": list(fixity_rules.FOLLOW_UP_STATUSES)},
                   "resolution": _NULLABLE, "note": _NULLABLE, "resolved_by": _NULLABLE, "resolved_at": _NULLABLE,
                   "version": {"type": "integer"}, "created_at": {"type": "string"}, "updated_at": {"type": "string"}},
}
FIXITY_CHECK = {
    "type": "object",
    "properties": {"component_id": {"type": "string"}, "status": {"type": "string", "enum": ["ok", "failed"]},
                   "checked_at": {"type": "string"}, "bytes_read": {"type": "integer"},
                   "reason": {"type": ["string", "null"], "enum": [*fixity_rules.FAILURE_REASONS, None]},
                   "detail": _NULLABLE},
}
COMPONENT_PAGE = page_of(COMPONENT)
FIXITY_RUN_PAGE = page_of(FIXITY_RUN)
FIXITY_FOLLOW_UP_PAGE = page_of(FIXITY_FOLLOW_UP)
FOLLOW_UP_STATUS_FILTER = param("status", {"type": "string", "enum": list(fixity_rules.FOLLOW_UP_STATUSES)},
                                "Only follow-ups in this status.")

COMPONENTS.update({
    "RequestComponentUpload": REQUEST_COMPONENT_UPLOAD, "ComponentUpload": COMPONENT_UPLOAD,
    "CompleteComponentUpload": COMPLETE_COMPONENT_UPLOAD, "Component": COMPONENT, "ComponentPage": COMPONENT_PAGE,
    "DescribeComponent": DESCRIBE_COMPONENT, "ComponentDownload": COMPONENT_DOWNLOAD, "FixityRun": FIXITY_RUN,
    "FixityRunPage": FIXITY_RUN_PAGE, "FixityFollowUp": FIXITY_FOLLOW_UP, "FixityFollowUpPage": FIXITY_FOLLOW_UP_PAGE,
    "ResolveFixityFollowUp": RESOLVE_FIXITY_FOLLOW_UP, "FixityCheck": FIXITY_CHECK,
})
PARAMETERS.update({"FixityFollowUpStatus": FOLLOW_UP_STATUS_FILTER})
PATH_PARAMETERS.setdefault("item_id", "Record item (기록물건) id.")
PATH_PARAMETERS.update({
    "upload_id": "Component upload id.",
    "component_id": "Digital component id.",
    "run_id": "Fixity run id (its start, yyyymmddThhmmssZ).",
    "follow_up_id": "Fixity follow-up id.",
})
