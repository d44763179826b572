"""JSON Schemas of stacks' requests and responses.

The same dicts validate requests (shared.validation) and are published in the OpenAPI
document (infrastructure/api/build_openapi.py), so they cannot drift. COMPONENTS and
PARAMETERS name what the document publishes; PATH_PARAMETERS describe the routes' path parameters.
"""
from shared.jobs import JOB_SCHEMA, MAX_ROWS, ROW_ERROR_SCHEMA
from shared.pagination import page_of
from shared.query import param

from .domain.environment import MEDIA
from .domain.model import DESTINATION_KINDS, LOCATION_STATUSES, RECORD_FORMS, RETENTIONS
from .domain.rules import MAX_SYNC_PLACEMENTS
from .domain.status import MANUAL_TARGETS, STATUSES

MAX_BULK = 500
MAX_READINGS = 500

NAME = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}
REASON = {"type": "string", "minLength": 1, "maxLength": 500, "pattern": r"\S"}
REPOSITORY_CODE = {"type": "string", "pattern": "^[A-Z][A-Z0-9]{1,7}$",
                   "description": "The repository's code, e.g. `R01` (capital letter, then 1-7 capitals or digits)."}
LOCATION_CODE = {"type": "string", "minLength": 2, "maxLength": 20,
                 "pattern": "^[A-Za-z][A-Za-z0-9]{1,7}(-[0-9]{1,2}){0,3}$",
                 "description": "A location code: repository-range-section-shelf, e.g. `R01-03-05-2`."}
ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]*$"}
BARCODE = {"type": "string", "pattern": "^[A-Za-z0-9._-]{3,64}$"}
RFID = {"type": "string", "pattern": "^[0-9A-Fa-f]{8,64}$", "description": "EPC, hexadecimal."}
PARTNER_CLIENT_ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]*$",
                     "description": "Id of a partner client of your organisation (partners capability): any of "
                                    "its API keys may post, so the binding survives key rotation."}
PRODUCING_UNIT = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[^|\s][^|]*$",
                  "description": "The producing unit (처리과), e.g. its code in the organisation chart."}
RECORD_FORM = {"type": "string", "enum": list(RECORD_FORMS)}
RETENTION = {"type": "string", "enum": list(RETENTIONS),
             "description": "The longest retention period (보존기간) of the records in the box; circulation's policy "
                            "uses it (boxes of unknown retention count as long-retention)."}
MM = {"type": "integer", "minimum": 1, "maximum": 20000}
KG = {"type": "number", "minimum": 0.001, "maximum": 100000,
      "description": "Kilograms; weights are counted in whole grams."}
NUMBER = {"type": "integer", "minimum": 1, "maximum": 99}
NULLABLE_NAME = {"oneOf": [NAME, {"type": "null"}]}


def _bounds(low: float, high: float) -> dict:
    value = {"type": "number", "minimum": low, "maximum": high}
    return {"type": "object", "additionalProperties": False, "required": ["min", "max"],
            "properties": {"min": value, "max": value}}


ENVIRONMENT_TARGETS = {
    "type": "object", "additionalProperties": False,
    "description": "Target ranges per medium; a reading outside any of them raises EnvironmentOutOfRange.",
    "properties": {medium: {"type": "object", "additionalProperties": False, "minProperties": 1,
                            "properties": {"temperature_c": _bounds(-40, 60), "humidity_pct": _bounds(0, 100)}}
                   for medium in MEDIA},
}

# ------------------------------------------------------------------ requests
CREATE_REPOSITORY = {
    "type": "object", "additionalProperties": False, "required": ["code", "name"],
    "properties": {"code": REPOSITORY_CODE, "name": NAME, "barcode": BARCODE,
                   "environment_targets": ENVIRONMENT_TARGETS},
}

UPDATE_REPOSITORY = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {"name": NAME, "barcode": {"oneOf": [BARCODE, {"type": "null"}]},
                   "environment_targets": ENVIRONMENT_TARGETS,
                   "status": {"type": "string", "enum": list(LOCATION_STATUSES)}},
}

CREATE_LOCATION = {
    "type": "object", "additionalProperties": False, "required": ["kind", "parent_id", "number"],
    "properties": {
        "kind": {"type": "string", "enum": ["range", "section", "shelf"]},
        "parent_id": {**LOCATION_CODE, "description": "The repository of a range, the range of a section, the "
                                                      "section of a shelf."},
        "number": {**NUMBER, "description": "Its number within the parent; the code follows (range 3 of R01 is R01-03)."},
        "name": NAME, "barcode": BARCODE,
        "location_profile_id": {**ID, "description": "Shelves only (and the shelves a layout creates)."},
        "layout": {
            "type": "object", "additionalProperties": False, "minProperties": 1,
            "description": "Create children in the same call: a range's `sections` with `shelves_per_section` "
                           "shelves each, or a section's `shelves` (at most 96 locations per call).",
            "properties": {"sections": {"type": "integer", "minimum": 1, "maximum": 40},
                           "shelves_per_section": {"type": "integer", "minimum": 1, "maximum": 20},
                           "shelves": {"type": "integer", "minimum": 1, "maximum": 20}},
        },
    },
}

UPDATE_LOCATION = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {"name": NULLABLE_NAME, "barcode": {"oneOf": [BARCODE, {"type": "null"}]},
                   "status": {"type": "string", "enum": list(LOCATION_STATUSES)},
                   "location_profile_id": ID},
}

_LOCATION_PROFILE_FIELDS = {"name": NAME, "width_mm": MM, "height_mm": MM, "depth_mm": MM, "load_limit_kg": KG}
CREATE_LOCATION_PROFILE = {"type": "object", "additionalProperties": False, "required": list(_LOCATION_PROFILE_FIELDS),
                           "properties": _LOCATION_PROFILE_FIELDS}
UPDATE_LOCATION_PROFILE = {"type": "object", "additionalProperties": False, "minProperties": 1,
                           "properties": _LOCATION_PROFILE_FIELDS}

_CONTAINER_PROFILE_FIELDS = {"name": NAME, "width_mm": MM, "height_mm": MM, "depth_mm": MM,
                             "weight_kg": {**KG, "description": "Typical weight of a filled box."},
                             "stacking_limit": {"type": "integer", "minimum": 1, "maximum": 10,
                                                "description": "How many such boxes may stand on top of each other."}}
CREATE_CONTAINER_PROFILE = {"type": "object", "additionalProperties": False,
                            "required": ["name", "width_mm", "height_mm", "depth_mm", "weight_kg"],
                            "properties": _CONTAINER_PROFILE_FIELDS}
UPDATE_CONTAINER_PROFILE = {"type": "object", "additionalProperties": False, "minProperties": 1,
                            "properties": _CONTAINER_PROFILE_FIELDS}

CONTENTS = {"type": "array", "maxItems": 300, "items": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": "What is in the box, in free text: what is not registered as a record file."}
FILES = {"type": "array", "maxItems": 300, "uniqueItems": True, "items": ID,
         "description": "Ids of the record files (records capability) in the box, each known in your organisation."}

REGISTER_BOX = {
    "type": "object", "additionalProperties": False,
    "required": ["barcode", "container_profile_id", "producing_unit", "record_form"],
    "properties": {"barcode": BARCODE, "rfid": RFID, "container_profile_id": ID, "producing_unit": PRODUCING_UNIT,
                   "record_form": RECORD_FORM, "title": NAME, "contents": CONTENTS, "files": FILES,
                   "retention": RETENTION,
                   "weight_kg": {**KG, "description": "This box's weight, when it differs from its profile's."},
                   "note": {"type": "string", "maxLength": 2000}},
}

UPDATE_BOX = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {"barcode": BARCODE, "rfid": {"oneOf": [RFID, {"type": "null"}]}, "title": NULLABLE_NAME,
                   "contents": CONTENTS, "files": FILES, "note": {"type": ["string", "null"], "maxLength": 2000},
                   "retention": {"oneOf": [RETENTION, {"type": "null"}]},
                   "producing_unit": PRODUCING_UNIT, "record_form": RECORD_FORM, "container_profile_id": ID,
                   "weight_kg": KG},
}

PLACE_BOX = {
    "type": "object", "additionalProperties": False, "required": ["location_id"],
    "properties": {"location_id": {**LOCATION_CODE, "description": "The shelf, e.g. `R01-03-05-2`."},
                   "reason": REASON},
}

CHANGE_BOX_STATUS = {
    "type": "object", "additionalProperties": False, "required": ["status"],
    "properties": {"status": {"type": "string", "enum": list(MANUAL_TARGETS)}, "reason": REASON},
}

# Up to MAX_SYNC_PLACEMENTS boxes are placed within the call (200 with every box's result); more, up to
# MAX_ROWS, become a job (202; GET /stacks/jobs/{id}). See docs/workflows/stacks.md, "Bulk work".
PLACEMENT_ROW = {"type": "object", "additionalProperties": False, "required": ["box_id", "location_id"],
                 "properties": {"box_id": ID, "location_id": LOCATION_CODE}}
BULK_PLACE = {
    "type": "object", "additionalProperties": False, "required": ["placements"],
    "properties": {
        "placements": {"type": "array", "minItems": 1, "maxItems": MAX_ROWS, "items": PLACEMENT_ROW,
                       "description": f"Up to {MAX_SYNC_PLACEMENTS} are placed within the call (200); more, up "
                                      f"to {MAX_ROWS:,}, are placed by a job (202)."},
        "reason": REASON,
    },
}

REGISTER_SENSOR = {
    "type": "object", "additionalProperties": False, "required": ["sensor_id", "repository_id", "partner_client_id"],
    "properties": {"sensor_id": {**ID, "description": "The device's id (serial), unique across partners."},
                   "repository_id": REPOSITORY_CODE, "partner_client_id": PARTNER_CLIENT_ID, "name": NAME},
}

UPDATE_SENSOR = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {"repository_id": REPOSITORY_CODE, "partner_client_id": PARTNER_CLIENT_ID,
                   "status": {"type": "string", "enum": ["active", "retired"]}, "name": NULLABLE_NAME},
}

READING_IN = {
    "type": "object", "additionalProperties": False, "required": ["sensor_id", "at"],
    "anyOf": [{"required": ["temperature_c"]}, {"required": ["humidity_pct"]}],
    "properties": {"sensor_id": ID,
                   "at": {"type": "string", "format": "date-time", "maxLength": 40,
                          "description": "When it was measured (ISO 8601 with a zone)."},
                   "temperature_c": {"type": "number", "minimum": -40, "maximum": 60},
                   "humidity_pct": {"type": "number", "minimum": 0, "maximum": 100}},
}

POST_READINGS = {
    "type": "object", "additionalProperties": False, "required": ["readings"],
    "properties": {"readings": {"type": "array", "minItems": 1, "maxItems": MAX_READINGS, "items": READING_IN}},
}

# ------------------------------------------------------------------ responses
_STAMPS = {"version": {"type": "integer"}, "created_at": {"type": "string"}, "updated_at": {"type": "string"}}
_NULLABLE_STRING = {"type": ["string", "null"]}
_FIGURES = {
    "shelves": {"type": "integer"}, "active_shelves": {"type": "integer"}, "boxes": {"type": "integer"},
    "width_mm": {"type": "number"}, "used_width_mm": {"type": "number"}, "free_width_mm": {"type": "number"},
    "load_limit_kg": {"type": "number"}, "used_weight_kg": {"type": "number"},
    "fill_ratio": {"type": "number", "minimum": 0, "maximum": 1},
}

REPOSITORY = {
    "type": "object", "required": ["id", "kind", "code", "name", "environment_targets", "status", "version"],
    "properties": {"id": {"type": "string"}, "kind": {"const": "repository"}, "code": {"type": "string"},
                   "name": {"type": "string"}, "barcode": _NULLABLE_STRING, "environment_targets": ENVIRONMENT_TARGETS,
                   "status": {"type": "string", "enum": list(LOCATION_STATUSES)}, **_STAMPS},
}

LOCATION = {
    "type": "object", "required": ["id", "kind", "code", "repository_id", "parent_id", "number", "status", "version"],
    "properties": {
        "id": {"type": "string"}, "kind": {"type": "string", "enum": ["range", "section", "shelf"]},
        "code": {"type": "string"}, "repository_id": {"type": "string"}, "parent_id": {"type": "string"},
        "number": {"type": "integer"}, "name": _NULLABLE_STRING, "barcode": _NULLABLE_STRING,
        "status": {"type": "string", "enum": list(LOCATION_STATUSES)}, **_STAMPS,
        "location_profile_id": _NULLABLE_STRING,
        "dimensions": {"type": "object", "properties": {"width_mm": {"type": "integer"}, "height_mm": {"type": "integer"},
                                                        "depth_mm": {"type": "integer"},
                                                        "load_limit_kg": {"type": "number"}}},
        "occupancy": {"type": "object", "properties": {
            "boxes": {"type": "integer"}, "used_width_mm": {"type": "number"}, "free_width_mm": {"type": "number"},
            "used_weight_kg": {"type": "number"}, "free_weight_kg": {"type": "number"},
            "fill_ratio": {"type": "number"},
            "holdings": {"type": "array", "items": {"type": "object", "properties": {
                "record_form": {"type": "string"}, "producing_unit": {"type": "string"}, "boxes": {"type": "integer"}}}},
        }},
    },
}


LOCATION_PROFILE = {
    "type": "object", "required": ["id", "name", "width_mm", "height_mm", "depth_mm", "load_limit_kg", "version"],
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "width_mm": {"type": "integer"},
                   "height_mm": {"type": "integer"}, "depth_mm": {"type": "integer"},
                   "load_limit_kg": {"type": "number"}, **_STAMPS},
}

CONTAINER_PROFILE = {
    "type": "object", "required": ["id", "name", "width_mm", "height_mm", "depth_mm", "weight_kg", "stacking_limit",
                                   "version"],
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "width_mm": {"type": "integer"},
                   "height_mm": {"type": "integer"}, "depth_mm": {"type": "integer"}, "weight_kg": {"type": "number"},
                   "stacking_limit": {"type": "integer"}, **_STAMPS},
}

CURRENT_LOCATION = {
    "oneOf": [{"type": "null"},
              {"type": "object", "required": ["kind"],
               "properties": {"kind": {"type": "string", "enum": ["shelf", *DESTINATION_KINDS]},
                              "id": {"type": "string"}, "name": _NULLABLE_STRING, "loan_id": {"type": "string"}}}],
}

BOX = {
    "type": "object",
    "required": ["id", "barcode", "container_profile_id", "producing_unit", "record_form", "status", "version"],
    "properties": {"id": {"type": "string"}, "barcode": {"type": "string"}, "rfid": _NULLABLE_STRING,
                   "title": _NULLABLE_STRING, "container_profile_id": {"type": "string"},
                   "producing_unit": {"type": "string"}, "record_form": {"type": "string"},
                   "contents": {"type": "array", "items": {"type": "string"}},
                   "files": {"type": "array", "items": {"type": "string"}, "description": "Ids of its record files."},
                   "record_files": {
                       "type": "array", "description": "Its record files as stacks knows them from records' events "
                                                       "(on one box's routes; listings carry `files` only).",
                       "items": {"type": "object", "required": ["id", "title", "status"],
                                 "properties": {"id": {"type": "string"}, "title": _NULLABLE_STRING,
                                                "status": _NULLABLE_STRING}}},
                   "note": _NULLABLE_STRING,
                   "retention": {"type": ["string", "null"], "enum": [*RETENTIONS, None]},
                   "weight_kg": {"type": "number"}, "status": {"type": "string", "enum": list(STATUSES)},
                   "home_location_id": _NULLABLE_STRING, "current_location": CURRENT_LOCATION,
                   "loan_id": _NULLABLE_STRING,
                   "transfer": {"type": ["object", "null"], "description": "The transfer holding the box: `id`, "
                                "`direction` (`out`: leaving; `in`: arrived, waiting for its first shelf)."},
                   "received_from": {"type": ["object", "null"],
                                     "description": "It came in a transfer: `org_id`, `transfer_id`."},
                   "disposition": {"type": ["object", "null"], "description": (
                       "How a final box ended: `kind` `destroyed` (`run_id`, `executed_by`, `supervisor`, `at`) or "
                       "`transferred` (`transfer_id`, `receiver_org`, `location_id` freed, `at`).")},
                   **_STAMPS},
}

PLACEMENT = {
    "type": "object", "required": ["outcome", "box"],
    "properties": {"outcome": {"type": "string", "enum": ["placed", "moved", "found", "unchanged"]}, "box": BOX},
}

_PROBLEM_LITE = {"type": "object", "required": ["type", "status", "detail"],
                 "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                                "detail": {"type": "string"}}}

BULK_PLACEMENT = {
    "type": "object", "required": ["summary", "results"],
    "properties": {
        "summary": {"type": "object", "properties": {k: {"type": "integer"} for k in
                                                     ("placed", "moved", "found", "unchanged", "failed")}},
        "results": {"type": "array", "items": {
            "type": "object", "required": ["box_id", "location_id", "outcome"],
            "properties": {"box_id": {"type": "string"}, "location_id": {"type": "string"},
                           "outcome": {"type": "string", "enum": ["placed", "moved", "found", "unchanged", "failed"]},
                           "version": {"type": "integer"}, "problem": _PROBLEM_LITE}}},
    },
}

HISTORY_ENTRY = {
    "type": "object", "required": ["box_id", "action", "at", "by", "event_id"],
    "properties": {"box_id": {"type": "string"},
                   "action": {"type": "string", "enum": [
                       "placed", "moved", "found", "removed", "check_out", "return", "contents_destroyed",
                       "destroyed", "transfer_started", "transfer_cancelled", "transferred", "receipt_reverted"]},
                   "from": CURRENT_LOCATION, "to": CURRENT_LOCATION, "at": {"type": "string"}, "by": {"type": "string"},
                   "reason": _NULLABLE_STRING, "event_id": {"type": "string"}, "loan_id": _NULLABLE_STRING,
                   "detail": {"type": "object", "description": "A saga's particulars: the destruction run "
                              "(`run_id`, `executed_by`, `supervisor`, `file_ids`) or the transfer "
                              "(`transfer_id`, `receiver_org`)."}},
}

SPACE = {
    "type": "object", "required": ["location_id", "kind", *_FIGURES, "children"],
    "properties": {
        "location_id": {"type": "string"}, "kind": {"type": "string"},
        "container_profile_id": _NULLABLE_STRING, **_FIGURES, "boxes_that_fit": {"type": "integer"},
        "children": {"type": "array", "items": {"type": "object", "required": ["location_id", *_FIGURES],
                                                "properties": {"location_id": {"type": "string"}, **_FIGURES,
                                                               "boxes_that_fit": {"type": "integer"}}}},
    },
}

SUGGESTIONS = {
    "type": "object", "required": ["count", "suggestions", "placed", "shortfall"],
    "properties": {
        "count": {"type": "integer"}, "record_form": _NULLABLE_STRING, "producing_unit": _NULLABLE_STRING,
        "placed": {"type": "integer", "description": "How many of the boxes the suggestions place."},
        "shortfall": {"type": "integer", "description": "How many find no room (among the suggested shelves)."},
        "suggestions": {"type": "array", "items": {
            "type": "object", "required": ["location_id", "fits", "take", "reason", "rank"],
            "properties": {"location_id": {"type": "string"}, "fits": {"type": "integer"}, "take": {"type": "integer"},
                           "reason": {"type": "string", "enum": ["same_shelf", "same_section", "same_range", "nearby",
                                                                 "same_unit", "free_space"]},
                           "explanation": {"type": "string"}, "rank": {"type": "integer"}}}},
    },
}

_SECTION_FIGURES = {"type": "object", "required": ["id", *_FIGURES],
                    "properties": {"id": {"type": "string"}, "name": _NULLABLE_STRING, "status": {"type": "string"},
                                   **_FIGURES}}

OCCUPANCY = {
    "type": "object", "required": ["repository", "scope", "totals", "ranges"],
    "properties": {
        "repository": REPOSITORY, "scope": {"type": "string"},
        "totals": {"type": "object", "required": list(_FIGURES), "properties": _FIGURES},
        "ranges": {"type": "array", "items": {
            "type": "object", "required": ["id", "sections", *_FIGURES],
            "properties": {"id": {"type": "string"}, "name": _NULLABLE_STRING, "status": {"type": "string"},
                           **_FIGURES, "sections": {"type": "array", "items": _SECTION_FIGURES}}}},
    },
}

SENSOR = {
    "type": "object", "required": ["id", "repository_id", "partner_client_id", "status", "violations", "version"],
    "properties": {"id": {"type": "string"}, "repository_id": {"type": "string"}, "partner_client_id": {"type": "string"},
                   "name": _NULLABLE_STRING, "status": {"type": "string", "enum": ["active", "retired"]},
                   "violations": {"type": "array", "items": {"type": "string"}},
                   "last_reading": {"oneOf": [{"type": "null"}, {"type": "object", "properties": {
                       "at": {"type": "string"}, "temperature_c": {"type": ["number", "null"]},
                       "humidity_pct": {"type": ["number", "null"]}}}]},
                   **_STAMPS},
}

READING = {
    "type": "object", "required": ["sensor_id", "repository_id", "at", "violations"],
    "properties": {"sensor_id": {"type": "string"}, "repository_id": {"type": "string"}, "at": {"type": "string"},
                   "temperature_c": {"type": ["number", "null"]}, "humidity_pct": {"type": ["number", "null"]},
                   "violations": {"type": "array", "items": {"type": "string"}}},
}

READINGS_ACCEPTED = {
    "type": "object", "required": ["accepted", "changes"],
    "properties": {"accepted": {"type": "integer"},
                   "changes": {"type": "array", "description": "Changes of a sensor's state these readings caused "
                                                               "(each also a domain event).",
                               "items": {"type": "object", "properties": {
                                   "event": {"type": "string", "enum": ["EnvironmentOutOfRange",
                                                                        "EnvironmentBackInRange"]},
                                   "sensor_id": {"type": "string"}, "at": {"type": "string"},
                                   "violations": {"type": "array", "items": {"type": "string"}}}}}},
}



# ------------------------------------------------------------ query parameters
BOX_STATUS = {"type": "string", "enum": list(STATUSES)}
LOCATION_KIND = {"type": "string", "enum": ["range", "section", "shelf"], "default": "range"}
REPORT_FORMAT = {"type": "string", "enum": ["json", "csv", "svg"]}  # absent: as the Accept header asks
COUNT = {"type": "integer", "minimum": 1, "maximum": MAX_BULK, "default": 1}

KIND = param("kind", LOCATION_KIND, "Which level to list.")
WITHIN = param("within", LOCATION_CODE, "Only locations inside this range or section (a code).")
REPORT_AS = param("format", REPORT_FORMAT,
                  "`json` (default), `csv` (one row per shelf) or `svg` (a map per range); overrides Accept.")
RANGE = param("range", LOCATION_CODE, "Only this range (a code, e.g. `R01-03`).")
FROM = param("from", {"type": "string", "format": "date-time"},
             "Start of the period (ISO 8601 with a zone); default 24 hours before `to`.")
TO = param("to", {"type": "string", "format": "date-time"}, "End of the period; default now.")
SENSOR_FILTER = param("sensor_id", ID, "Only this sensor's readings.")
BOX_STATUS_FILTER = param("status", BOX_STATUS, "Only boxes in this status.")
BARCODE_FILTER = param("barcode", BARCODE, "The box this barcode names.")
RFID_FILTER = param("rfid", RFID, "The box this RFID tag names.")
REMOVAL_REASON = param("reason", REASON, "Why (kept in the location history).")
LOCATION_FILTER = param("location_id", LOCATION_CODE, "A repository, range, section or shelf code.", required=True)
CONTAINER_PROFILE_FILTER = param("container_profile_id", ID, "The boxes' container profile (their size).")
LIKE_BOX = param("box_id", ID, "Suggest for boxes like this one (its size, record form and producing unit).")
HOW_MANY = param("count", COUNT, "How many boxes (1-500).")
RECORD_FORM_FILTER = param("record_form", RECORD_FORM, "The boxes' record form.")
PRODUCING_UNIT_FILTER = param("producing_unit", PRODUCING_UNIT, "The boxes' producing unit.")
REPOSITORY_FILTER = param("repository_id", REPOSITORY_CODE, "Only this repository (a code).")

# ------------------------------------------------------------ published
REPOSITORY_PAGE = page_of(REPOSITORY)
LOCATION_PAGE = page_of(LOCATION)
LOCATION_PROFILE_PAGE = page_of(LOCATION_PROFILE)
CONTAINER_PROFILE_PAGE = page_of(CONTAINER_PROFILE)
BOX_PAGE = page_of(BOX)
HISTORY_PAGE = page_of(HISTORY_ENTRY)
SENSOR_PAGE = page_of(SENSOR)
READING_PAGE = page_of(READING)

COMPONENTS = {
    "Repository": REPOSITORY, "RepositoryPage": REPOSITORY_PAGE, "CreateRepository": CREATE_REPOSITORY,
    "UpdateRepository": UPDATE_REPOSITORY, "Location": LOCATION, "LocationPage": LOCATION_PAGE,
    "CreateLocation": CREATE_LOCATION, "UpdateLocation": UPDATE_LOCATION,
    "LocationProfile": LOCATION_PROFILE, "LocationProfilePage": LOCATION_PROFILE_PAGE,
    "CreateLocationProfile": CREATE_LOCATION_PROFILE, "UpdateLocationProfile": UPDATE_LOCATION_PROFILE,
    "ContainerProfile": CONTAINER_PROFILE, "ContainerProfilePage": CONTAINER_PROFILE_PAGE,
    "CreateContainerProfile": CREATE_CONTAINER_PROFILE, "UpdateContainerProfile": UPDATE_CONTAINER_PROFILE,
    "Box": BOX, "BoxPage": BOX_PAGE, "RegisterBox": REGISTER_BOX, "UpdateBox": UPDATE_BOX, "PlaceBox": PLACE_BOX,
    "Placement": PLACEMENT, "ChangeBoxStatus": CHANGE_BOX_STATUS, "BulkPlace": BULK_PLACE,
    "BulkPlacement": BULK_PLACEMENT, "LocationHistoryPage": HISTORY_PAGE, "Space": SPACE,
    "Suggestions": SUGGESTIONS, "Occupancy": OCCUPANCY, "Sensor": SENSOR, "SensorPage": SENSOR_PAGE,
    "RegisterSensor": REGISTER_SENSOR, "UpdateSensor": UPDATE_SENSOR, "PostReadings": POST_READINGS,
    "ReadingsAccepted": READINGS_ACCEPTED, "ReadingPage": READING_PAGE,
}
PARAMETERS = {
    "LocationKind": KIND, "Within": WITHIN, "ReportFormat": REPORT_AS, "Range": RANGE, "From": FROM, "To": TO,
    "SensorFilter": SENSOR_FILTER, "BoxStatus": BOX_STATUS_FILTER, "Barcode": BARCODE_FILTER, "Rfid": RFID_FILTER,
    "Reason": REMOVAL_REASON, "LocationFilter": LOCATION_FILTER, "ContainerProfileFilter": CONTAINER_PROFILE_FILTER,
    "LikeBox": LIKE_BOX, "Count": HOW_MANY, "RecordForm": RECORD_FORM_FILTER,
    "ProducingUnit": PRODUCING_UNIT_FILTER, "RepositoryFilter": REPOSITORY_FILTER,
}
PATH_PARAMETERS = {
    "repository_id": "A repository's code, e.g. `R01`.",
    "location_id": "A range, section or shelf code, e.g. `R01-03`, `R01-03-05`, `R01-03-05-2`.",
    "profile_id": "Profile id.",
    "box_id": "Box id.",
    "sensor_id": "Sensor (device) id.",
}


# ---------------------------------------------------------------------- bulk
# Bulk registration is a job (shared.jobs): the upload is stored and answered 202; each row is
# validated against REGISTER_BOX when the job runs, so a row and a single POST /boxes cannot differ.
MAX_JOB_ROWS = MAX_ROWS
JOB = JOB_SCHEMA
JOB_PAGE = page_of(JOB)
ROW_ERROR_PAGE = page_of(ROW_ERROR_SCHEMA)
BULK_REGISTER_BOXES = {
    "type": "object", "additionalProperties": False, "required": ["rows"],
    "description": "Boxes to register, each as the body of `POST /boxes`. Or send `text/csv` with a header row "
                   "naming those fields (`contents`, `files`: items separated by `|`; empty cells are absent).",
    "properties": {"rows": {"type": "array", "minItems": 1, "maxItems": MAX_JOB_ROWS, "items": REGISTER_BOX}},
}
JOB_ROWS = {"register_boxes": REGISTER_BOX, "place_boxes": PLACEMENT_ROW}  # each kind of job's rows (stacks.jobs)
# POST /placements/bulk answers the results (200, within the call) or the job placing them (202, above the maximum).
BULK_PLACEMENT_OR_JOB = {"anyOf": [BULK_PLACEMENT, JOB]}
COMPONENTS |= {"StacksJob": JOB, "StacksJobPage": JOB_PAGE, "StacksJobRowErrorPage": ROW_ERROR_PAGE,
               "BulkRegisterBoxes": BULK_REGISTER_BOXES, "BulkPlacementOrJob": BULK_PLACEMENT_OR_JOB}
PATH_PARAMETERS |= {"job_id": "Job id (from the 202 answer's `id` or `Location`)."}
