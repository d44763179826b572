"""JSON Schemas of identity's requests and responses.

The same dicts validate requests (shared.validation) and are published in the OpenAPI
document (infrastructure/api/build_openapi.py), so they cannot drift. COMPONENTS and
PARAMETERS name what the document publishes; PATH_PARAMETERS describe the routes' path parameters.
"""
from shared.auth import ROLES
from shared.pagination import page_of
from shared.query import param

ORG_ID = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{2,62}$"}
NAME = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}
EMAIL = {"type": "string", "maxLength": 254, "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$"}
ROLE_LIST = {"type": "array", "items": {"type": "string", "enum": list(ROLES)}, "minItems": 1, "maxItems": len(ROLES),
             "uniqueItems": True}
ORG_TYPE = {"type": "string", "enum": ["agency", "records_centre", "permanent_archive"]}

NEW_ADMIN = {
    "type": "object", "additionalProperties": False, "required": ["email", "display_name"],
    "properties": {"email": EMAIL, "display_name": NAME},
}

CREATE_ORGANISATION = {
    "type": "object", "additionalProperties": False, "required": ["name", "type"],
    "properties": {
        "id": {**ORG_ID, "description": "Optional stable id (slug); generated when absent."},
        "name": NAME, "type": ORG_TYPE,
        "parent_id": {"oneOf": [ORG_ID, {"type": "null"}]},
        "admin": {**NEW_ADMIN, "description": "The organisation's first admin, provisioned with it."},
    },
}

UPDATE_ORGANISATION = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {"name": NAME, "parent_id": {"oneOf": [ORG_ID, {"type": "null"}]},
                   "status": {"type": "string", "enum": ["active", "inactive"]}},
}

CREATE_USER = {
    "type": "object", "additionalProperties": False, "required": ["email", "display_name", "roles"],
    "properties": {"email": EMAIL, "display_name": NAME, "roles": ROLE_LIST},
}

UPDATE_USER = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {"display_name": NAME, "roles": ROLE_LIST},
}

# ------------------------------------------------------------------ responses
ORGANISATION = {
    "type": "object", "required": ["id", "name", "type", "status", "version"],
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "type": ORG_TYPE,
                   "parent_id": {"type": ["string", "null"]}, "status": {"type": "string", "enum": ["active", "inactive"]},
                   "version": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"},
                   "updated_at": {"type": "string", "format": "date-time"}},
}

DIRECTORY_ENTRY = {
    "type": "object", "required": ["id", "name", "type"],
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "type": ORG_TYPE,
                   "parent_id": {"type": ["string", "null"]}},
}

USER = {
    "type": "object", "required": ["id", "org_id", "email", "display_name", "roles", "status", "version"],
    "properties": {"id": {"type": "string"}, "org_id": {"type": "string"}, "email": {"type": "string"},
                   "display_name": {"type": "string"}, "roles": {"type": "array", "items": {"type": "string"}},
                   "status": {"type": "string", "enum": ["provisioning", "active", "deactivated", "failed"]},
                   "failure": {"type": "string"}, "version": {"type": "integer"},
                   "created_at": {"type": "string"}, "updated_at": {"type": "string"}},
}

ORGANISATION_CREATED = {
    "type": "object", "required": ["organisation"],
    "properties": {"organisation": ORGANISATION, "admin": USER},
}

ME = {
    "type": "object", "required": ["user", "organisation", "roles"],
    "properties": {"user": {"type": "object"}, "organisation": {"oneOf": [ORGANISATION, {"type": "null"}]},
                   "roles": {"type": "array", "items": {"type": "string"}}},
}
ORGANISATION_PAGE = page_of(ORGANISATION)
USER_PAGE = page_of(USER)
DIRECTORY_PAGE = page_of(DIRECTORY_ENTRY)

# ------------------------------------------------------------ query parameters
USER_STATUS = param("status", USER["properties"]["status"], "Only users in this status.")

# ------------------------------------------------------------ published
COMPONENTS = {
    "Me": ME, "Organisation": ORGANISATION, "OrganisationPage": ORGANISATION_PAGE,
    "CreateOrganisation": CREATE_ORGANISATION, "OrganisationCreated": ORGANISATION_CREATED,
    "UpdateOrganisation": UPDATE_ORGANISATION, "User": USER, "UserPage": USER_PAGE, "CreateUser": CREATE_USER,
    "UpdateUser": UPDATE_USER, "DirectoryEntry": DIRECTORY_ENTRY, "DirectoryPage": DIRECTORY_PAGE,
}
PARAMETERS = {"UserStatus": USER_STATUS}
PATH_PARAMETERS = {
    "org_id": "Organisation id (a slug such as `national-archives`, or a generated UUID).",
    "user_id": "User id.",
}
