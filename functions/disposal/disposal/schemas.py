"""JSON Schemas of disposal's requests and responses.

The same dicts validate requests (shared.validation) and are published in the OpenAPI document
(infrastructure/api/build_openapi.py), so they cannot drift. COMPONENTS and PARAMETERS name what the
document publishes; PATH_PARAMETERS describe the routes' path parameters.
"""
from shared.pagination import page_of
from shared.query import param

from .domain.destruction import MAX_RUN_FILES, REGISTER_COLUMNS
from .domain.model import (DECISIONS, HOLD_STATUSES, MAX_GRACE_DAYS, MEMBER_KINDS, OPINIONS, RECOMMENDATIONS,
                           RETENTIONS, RUN_STATUSES, VOTES)

NAME = {"type": "string", "minLength": 1, "maxLength": 300, "pattern": r"\S"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 4000, "pattern": r"\S"}
REASON = {"type": "string", "minLength": 3, "maxLength": 2000, "pattern": r"\S", "description": "Why (kept in the history)."}
ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]*$"}
CODE = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$"}
DATE = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "A date, yyyy-mm-dd."}
RETENTION = {"type": "string", "enum": list(RETENTIONS)}
_S = {"type": "string"}
_NS = {"type": ["string", "null"]}
_STRINGS = {"type": "array", "items": _S}


def _ids(item: dict, most: int) -> dict:
    return {"type": "array", "maxItems": most, "uniqueItems": True, "items": item}


# ------------------------------------------------------------------- requests
PLACE_HOLD = {
    "type": "object", "additionalProperties": False, "required": ["mandate", "scope"],
    "properties": {
        "mandate": {"type": "object", "additionalProperties": False, "required": ["reason", "authority"],
                    "properties": {"reason": REASON,
                                   "authority": {**NAME, "description": "Who ordered it (a court, an audit, ...)."},
                                   "reference": {**NAME, "description": "The order's or case's reference."}}},
        "scope": {"type": "object", "additionalProperties": False,
                  "description": "At least one of: files, every file of a class code, every file of a producing unit.",
                  "properties": {"files": _ids(ID, 500), "class_codes": _ids(CODE, 100),
                                 "producing_units": _ids(NAME, 100)}},
    },
}
LIFT_HOLD = {"type": "object", "additionalProperties": False, "required": ["reason"], "properties": {"reason": REASON}}
CREATE_LIST = {
    "type": "object", "additionalProperties": False, "required": ["title", "file_ids"],
    "properties": {"title": NAME, "producing_unit": NAME,
                   "file_ids": {**_ids(ID, 40), "minItems": 1,
                                "description": "Closed files, in no list and under no hold (at most 40 a list)."}},
}
GIVE_OPINION = {
    "type": "object", "additionalProperties": False, "required": ["opinion", "official"],
    "properties": {"opinion": {"type": "string", "enum": list(OPINIONS)},
                   "reason": {**REASON, "description": "Required to keep the file."},
                   "official": {**NAME, "description": "The producing unit's official who gave the opinion."}},
}
GIVE_REVIEW = {
    "type": "object", "additionalProperties": False, "required": ["recommendation"],
    "properties": {"recommendation": {"type": "string", "enum": list(RECOMMENDATIONS)},
                   "retention": {**RETENTION, "description": "The period proposed (reset_retention)."},
                   "defer_until": {**DATE, "description": "The date proposed (defer)."}, "note": TEXT},
}
RECORD_DECISION = {
    "type": "object", "additionalProperties": False, "required": ["meeting_id", "decision", "votes"],
    "properties": {
        "meeting_id": ID, "decision": {"type": "string", "enum": list(DECISIONS)},
        "retention": {**RETENTION, "description": "The new period (reset_retention)."},
        "defer_until": {**DATE, "description": "When the file comes back (defer, 보류)."},
        "votes": {"type": "array", "minItems": 1, "maxItems": 50,
                  "items": {"type": "object", "additionalProperties": False, "required": ["member_id", "vote"],
                            "properties": {"member_id": ID, "vote": {"type": "string", "enum": list(VOTES)}}}},
    },
}
ADD_MEMBER = {
    "type": "object", "additionalProperties": False, "required": ["name", "kind"],
    "properties": {"name": NAME, "kind": {"type": "string", "enum": list(MEMBER_KINDS)},
                   "user_id": {**ID, "description": "A staff member's user id (none for an external expert)."},
                   "affiliation": NAME},
}
UPDATE_MEMBER = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {"name": NAME, "affiliation": NAME, "active": {"type": "boolean"}},
}
RECORD_MEETING = {
    "type": "object", "additionalProperties": False, "required": ["held_on", "present"],
    "properties": {"held_on": DATE, "title": NAME, "present": {**_ids(ID, 50), "minItems": 1}},
}

SETTINGS_DOCUMENT = {
    "type": "object", "additionalProperties": False, "required": ["grace_days"],
    "properties": {"grace_days": {"type": "integer", "minimum": 0, "maximum": MAX_GRACE_DAYS,
                                  "description": "Days between marking the files and destroying them, during which "
                                                 "a run can be cancelled (0: none)."}},
}
START_RUN = {
    "type": "object", "additionalProperties": False, "required": ["supervisor"],
    "properties": {
        "review_list_id": {**ID, "description": "Every file of this list the committee decided to destroy."},
        "file_ids": {**_ids(ID, MAX_RUN_FILES), "minItems": 1,
                     "description": "These files (of the review list, when one is named)."},
        "executed_by": {**NAME, "description": "Who carries out the destruction (default: the caller)."},
        "supervisor": {"type": "object", "additionalProperties": False, "required": ["name"],
                       "description": "The official who supervises the destruction (law art. 27③).",
                       "properties": {"name": NAME, "title": NAME}},
    },
}

# ------------------------------------------------------------------ responses
_FILE = {"type": ["object", "null"], "properties": {
    k: _NS for k in ("id", "title", "producing_unit", "class_code", "status", "closed_on", "retention", "action",
                     "disposal_due", "listed_in", "deferred_until", "awaiting_reset", "in_run")}}
HOLD = {
    "type": "object", "required": ["id", "status", "mandate", "scope", "placed_by", "placed_at", "version"],
    "properties": {"id": _S, "status": {"type": "string", "enum": list(HOLD_STATUSES)},
                   "mandate": {"type": "object", "properties": {"reason": _S, "authority": _S, "reference": _NS}},
                   "scope": {"type": "object", "properties": {"files": _STRINGS, "class_codes": _STRINGS,
                                                              "producing_units": _STRINGS}},
                   "placed_by": _S, "placed_at": _S, "lifted_by": _NS, "lifted_at": _NS, "lift_reason": _NS,
                   "version": {"type": "integer"}},
}
FILE_HOLDS = {"type": "object", "required": ["file_id", "held", "holds"],
              "properties": {"file_id": _S, "file": _FILE, "held": {"type": "boolean"},
                             "holds": {"type": "array", "items": HOLD}}}
REVIEW_LIST = {
    "type": "object", "required": ["id", "title", "origin", "file_count", "as_of", "version"],
    "properties": {"id": _S, "title": _S, "producing_unit": _NS,
                   "origin": {"type": "string", "enum": ["scheduled", "manual"]}, "file_count": {"type": "integer"},
                   "as_of": _S, "created_by": _S, "created_at": _S, "version": {"type": "integer"}},
}
_STEP = {"type": ["object", "null"]}
LISTED_FILE = {
    "type": "object", "required": ["list_id", "file_id", "stage", "version"],
    "properties": {"list_id": _S, "file_id": _S, "title": _NS, "producing_unit": _NS, "class_code": _NS,
                   "retention": _NS, "disposal_due": _NS,
                   "stage": {"type": "string", "enum": ["awaiting_opinion", "awaiting_review", "awaiting_decision",
                                                        "decided"]},
                   "opinion": _STEP, "review": _STEP, "decision": _STEP, "version": {"type": "integer"},
                   "updated_at": _S},
}
MEMBER = {
    "type": "object", "required": ["id", "name", "kind", "active", "version"],
    "properties": {"id": _S, "name": _S, "kind": {"type": "string", "enum": list(MEMBER_KINDS)}, "user_id": _NS,
                   "affiliation": _NS, "active": {"type": "boolean"}, "created_by": _S, "created_at": _S,
                   "version": {"type": "integer"}},
}
MEETING = {
    "type": "object", "required": ["id", "held_on", "present", "version"],
    "properties": {"id": _S, "held_on": _S, "present": _STRINGS, "title": _NS, "created_by": _S, "created_at": _S,
                   "version": {"type": "integer"}},
}
SETTINGS = {"type": "object", "required": ["grace_days", "version"],
            "properties": {"grace_days": {"type": "integer"}, "updated_by": _NS, "updated_at": _NS,
                           "version": {"type": "integer"}}}
_COUNT = {"type": "integer"}
RUN = {
    "type": "object", "required": ["id", "status", "file_count", "executed_by", "supervisor", "version"],
    "properties": {
        "id": _S, "status": {"type": "string", "enum": list(RUN_STATUSES),
                             "description": "started → marking → grace → destroying → completed | cancelled | failed"},
        "review_list_id": _NS, "file_count": _COUNT, "executed_by": _S,
        "supervisor": {"type": "object", "properties": {"name": _S, "title": _NS}},
        "started_by": _S, "started_at": _S, "grace_days": _COUNT, "grace_until": _NS,
        "cancel_requested_by": _NS, "cancel_requested_at": _NS,
        "counts": {"type": "object", "properties": {k: _COUNT for k in ("destroyed", "held", "refused", "released",
                                                                        "components")}},
        "certificate": {"type": ["object", "null"], "properties": {"sha256": _S, "pdf_sha256": _NS}},
        "completed_at": _NS, "failure": _NS, "version": _COUNT, "updated_at": _S},
}
RUN_FILE = {
    "type": "object", "required": ["file_id", "outcome"],
    "properties": {
        "file_id": _S, "page": _COUNT,
        "outcome": {"type": "string", "enum": ["pending", "destroyed", "held", "refused", "released"],
                    "description": "destroyed; held (a hold landed after the committee); refused (records refused "
                                   "it); released (the run was cancelled or failed); pending while the run works."},
        "state": _S, "reason": _NS, "title": _NS, "producing_unit": _NS, "class_code": _NS, "retention": _NS,
        "list_id": _NS, "meeting_id": _NS,
        "components": {"type": "array", "items": {"type": "object"},
                       "description": "Each destroyed component: component_id, item_id, name, sha256, size, "
                                      "versions_deleted."},
        "boxes": {"type": "array", "items": {"type": "object"}}, "destroyed_at": _NS},
}
CERTIFICATE = {
    "type": "object", "required": ["run_id", "files", "totals"],
    "description": "The destruction certificate (폐기 확인서) as stored (write-once, Object Lock).",
    "properties": {"document": _S, "title": _S, "org_id": _S, "run_id": _S, "executed_by": _S,
                   "supervisor": {"type": "object"}, "started_at": _S, "grace_until": _NS, "certified_at": _S,
                   "meetings": {"type": "array", "items": {"type": "object"}},
                   "files": {"type": "array", "items": {"type": "object"}},
                   "not_destroyed": {"type": "array", "items": {"type": "object"}}, "totals": {"type": "object"}},
}
CERTIFICATE_DOWNLOAD = {
    "type": "object", "required": ["url", "expires_in"],
    "properties": {"url": _S, "expires_in": _COUNT, "sha256": _NS, "media_type": _S},
}
REGISTER_LINE = {"type": "object", "properties": {c: ({"type": "integer"} if c == "components" else _NS)
                                                  for c in REGISTER_COLUMNS}}
HOLD_PAGE = page_of(HOLD)
REVIEW_LIST_PAGE = page_of(REVIEW_LIST)
LISTED_FILE_PAGE = page_of(LISTED_FILE)
MEMBER_PAGE = page_of(MEMBER)
MEETING_PAGE = page_of(MEETING)
RUN_PAGE = page_of(RUN)
RUN_FILE_PAGE = page_of(RUN_FILE)
REGISTER_PAGE = page_of(REGISTER_LINE)

# ------------------------------------------------------------ query parameters
HOLD_STATUS = param("status", {"type": "string", "enum": list(HOLD_STATUSES)}, "Only holds of this status.")
REGISTER_FROM = param("from", DATE, "First day of destruction (YYYY-MM-DD, UTC).")
REGISTER_TO = param("to", DATE, "Last day of destruction (YYYY-MM-DD, UTC).")
REGISTER_FORMAT = param("format", {"type": "string", "enum": ["json", "csv"]},
                        "`json` (default, paged) or `csv` (the whole selection; also `Accept: text/csv`).")

# ------------------------------------------------------------ published
COMPONENTS = {
    "DisposalHold": HOLD, "DisposalHoldPage": HOLD_PAGE, "PlaceHold": PLACE_HOLD, "LiftHold": LIFT_HOLD,
    "FileHolds": FILE_HOLDS, "ReviewList": REVIEW_LIST, "ReviewListPage": REVIEW_LIST_PAGE,
    "CreateReviewList": CREATE_LIST, "ListedFile": LISTED_FILE, "ListedFilePage": LISTED_FILE_PAGE,
    "GiveOpinion": GIVE_OPINION, "GiveReview": GIVE_REVIEW, "RecordDecision": RECORD_DECISION,
    "CommitteeMember": MEMBER, "CommitteeMemberPage": MEMBER_PAGE, "AddCommitteeMember": ADD_MEMBER,
    "UpdateCommitteeMember": UPDATE_MEMBER, "CommitteeMeeting": MEETING, "CommitteeMeetingPage": MEETING_PAGE,
    "RecordCommitteeMeeting": RECORD_MEETING, "DisposalSettings": SETTINGS, "DisposalSettingsDocument":
    SETTINGS_DOCUMENT, "DestructionRun": RUN, "DestructionRunPage": RUN_PAGE, "StartDestructionRun": START_RUN,
    "DestructionRunFile": RUN_FILE, "DestructionRunFilePage": RUN_FILE_PAGE, "DestructionCertificate": CERTIFICATE,
    "DestructionCertificateDownload": CERTIFICATE_DOWNLOAD, "DestructionRegisterLine": REGISTER_LINE,
    "DestructionRegisterPage": REGISTER_PAGE,
}
PARAMETERS = {"HoldStatus": HOLD_STATUS, "DestructionRegisterFrom": REGISTER_FROM,
              "DestructionRegisterTo": REGISTER_TO, "DestructionRegisterFormat": REGISTER_FORMAT}
PATH_PARAMETERS = {
    "hold_id": "Hold (보류) id.",
    "file_id": "Record file (기록물철) id, as records names it.",
    "list_id": "Review list (폐기 심의 대상) id.",
    "member_id": "Appraisal committee member id.",
    "meeting_id": "Appraisal committee meeting id.",
    "run_id": "Destruction run (폐기 집행) id.",
}
