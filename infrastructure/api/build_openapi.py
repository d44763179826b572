"""Build the one OpenAPI 3.1 document of the records API (infrastructure/api/openapi.json).

    python -m infrastructure.api.build_openapi          # write the document
    python -m infrastructure.api.build_openapi --check  # exit 1 when the committed file is stale

Nothing here is typed twice:
- routes, methods and security come from template.yaml's `Api` events (the gateway);
- operationIds are the Chalice view names of each function's app (`<cap>.app`);
- request and response schemas are the dicts each capability validates with (`<cap>.schemas`);
- problem types come from shared.problems and the template's gateway responses.
Only prose (summary, description) and each route's protocol facts (ETag, If-Match,
Idempotency-Key, which domain errors it can answer) live in OPERATIONS below; the
contract tests (tests/contract) prove those facts against the handlers.
"""
from __future__ import annotations

import argparse
import copy
from dataclasses import dataclass
import importlib
import json
import pathlib
import re
import sys
from typing import Any


ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "infrastructure" / "api" / "openapi.json"
API_RESOURCE = "RecordsApi"
LOCAL_URL = "http://127.0.0.1:3000"
VERSION = "1.0.0"


def _importable() -> None:
    """Each function's code root on sys.path, as Lambda does with CodeUri."""
    for code_root in sorted((ROOT / "functions").iterdir()):
        if code_root.is_dir() and str(code_root) not in sys.path:
            sys.path.insert(0, str(code_root))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


_importable()

from audit import schemas as audit  # noqa: E402
from identity import schemas as identity  # noqa: E402
from stacks import schemas as stacks  # noqa: E402
from circulation import schemas as circulation  # noqa: E402
from circulation.domain import problems as circulation_problems  # noqa: E402
from inventory import schemas as inventory  # noqa: E402
from infrastructure.cfn import load_template  # noqa: E402
from shared import problems  # noqa: E402
from shared.idempotency import KEY_PATTERN  # noqa: E402
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT  # noqa: E402

# --------------------------------------------------------------------------- template


@dataclass(frozen=True)
class Route:
    """One `Api` event of a function in the template."""

    method: str
    path: str
    function: str  # logical id of the AWS::Serverless::Function
    capability: str  # folder under functions/
    module: str  # the handler's module, e.g. identity.app
    security: str | None  # "StaffToken", "PartnerApiKey" or None (open)


def template_routes(template: dict[str, Any] | None = None) -> list[Route]:
    """Every Api event of every function, in template order."""
    template = template or load_template()
    api_auth = template["Resources"][API_RESOURCE]["Properties"].get("Auth", {})
    default_authorizer = api_auth.get("DefaultAuthorizer")
    routes = []
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        for event in (props.get("Events") or {}).values():
            if event.get("Type") != "Api":
                continue
            event_props = event["Properties"]
            auth = event_props.get("Auth") or {}
            authorizer = auth.get("Authorizer", default_authorizer)
            if auth.get("ApiKeyRequired") and authorizer == "NONE":
                security = "PartnerApiKey"
            elif authorizer == "StaffCognito":
                security = "StaffToken"
            elif authorizer == "NONE":
                security = None
            else:
                raise ValueError(f"{logical_id}: no security scheme for authorizer {authorizer!r}")
            routes.append(Route(
                method=event_props["Method"].upper(), path=event_props["Path"], function=logical_id,
                capability=pathlib.PurePosixPath(props["CodeUri"]).name,
                module=props["Handler"].rsplit(".", 1)[0], security=security))
    return routes


def chalice_views(module: str) -> dict[tuple[str, str], str]:
    """(METHOD, path) → view function name of one capability's Chalice app."""
    app = importlib.import_module(module).app
    return {(method, path): entry.view_name for path, methods in app.routes.items() for method, entry in methods.items()}


# --------------------------------------------------------------------------- schemas

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details. `type` is stable and part of the contract; `detail` is for humans.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri", "examples": [problems.PROBLEM_BASE + "validation-failed"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The request path that failed."},
        "errors": {
            "type": "array", "description": "The offending fields, when the input was at fault.",
            "items": {"type": "object", "required": ["field", "message"],
                      "properties": {"field": {"type": "string"}, "message": {"type": "string"},
                                     "rule": {"type": "string"}}},
        },
    },
}

# Named schemas published under components.schemas, each the very dict its capability uses.
SCHEMAS: dict[str, dict[str, Any]] = {
    "Problem": PROBLEM,
    "Me": identity.ME,
    "Organisation": identity.ORGANISATION,
    "OrganisationPage": identity.page_of(identity.ORGANISATION),
    "CreateOrganisation": identity.CREATE_ORGANISATION,
    "OrganisationCreated": identity.ORGANISATION_CREATED,
    "UpdateOrganisation": identity.UPDATE_ORGANISATION,
    "User": identity.USER,
    "UserPage": identity.page_of(identity.USER),
    "CreateUser": identity.CREATE_USER,
    "UpdateUser": identity.UPDATE_USER,
    "DirectoryEntry": identity.DIRECTORY_ENTRY,
    "DirectoryPage": identity.page_of(identity.DIRECTORY_ENTRY),
    "EntityHistory": audit.ENTITY_HISTORY,
    "Repository": stacks.REPOSITORY,
    "RepositoryPage": stacks.page_of(stacks.REPOSITORY),
    "CreateRepository": stacks.CREATE_REPOSITORY,
    "UpdateRepository": stacks.UPDATE_REPOSITORY,
    "Location": stacks.LOCATION,
    "LocationPage": stacks.page_of(stacks.LOCATION),
    "CreateLocation": stacks.CREATE_LOCATION,
    "LocationCreated": stacks.LOCATION_CREATED,
    "UpdateLocation": stacks.UPDATE_LOCATION,
    "LocationProfile": stacks.LOCATION_PROFILE,
    "LocationProfilePage": stacks.page_of(stacks.LOCATION_PROFILE),
    "CreateLocationProfile": stacks.CREATE_LOCATION_PROFILE,
    "UpdateLocationProfile": stacks.UPDATE_LOCATION_PROFILE,
    "ContainerProfile": stacks.CONTAINER_PROFILE,
    "ContainerProfilePage": stacks.page_of(stacks.CONTAINER_PROFILE),
    "CreateContainerProfile": stacks.CREATE_CONTAINER_PROFILE,
    "UpdateContainerProfile": stacks.UPDATE_CONTAINER_PROFILE,
    "Box": stacks.BOX,
    "BoxPage": stacks.page_of(stacks.BOX),
    "RegisterBox": stacks.REGISTER_BOX,
    "UpdateBox": stacks.UPDATE_BOX,
    "PlaceBox": stacks.PLACE_BOX,
    "Placement": stacks.PLACEMENT,
    "ChangeBoxStatus": stacks.CHANGE_BOX_STATUS,
    "BulkPlace": stacks.BULK_PLACE,
    "BulkPlacement": stacks.BULK_PLACEMENT,
    "LocationHistoryPage": stacks.page_of(stacks.HISTORY_ENTRY),
    "Space": stacks.SPACE,
    "Suggestions": stacks.SUGGESTIONS,
    "Occupancy": stacks.OCCUPANCY,
    "Sensor": stacks.SENSOR,
    "SensorPage": stacks.page_of(stacks.SENSOR),
    "RegisterSensor": stacks.REGISTER_SENSOR,
    "UpdateSensor": stacks.UPDATE_SENSOR,
    "PostReadings": stacks.POST_READINGS,
    "ReadingsAccepted": stacks.READINGS_ACCEPTED,
    "ReadingPage": stacks.page_of(stacks.READING),
    "LoanRequest": circulation.REQUEST,
    "LoanRequestPage": circulation.REQUEST_PAGE,
    "CreateLoanRequest": circulation.CREATE_REQUEST,
    "RejectLoanRequest": circulation.REJECT,
    "ReturnLoan": circulation.RETURN,
    "RegisterPage": circulation.REGISTER_PAGE,
    "CirculationPolicy": circulation.POLICY,
    "CirculationPolicyDocument": circulation.POLICY_DOCUMENT,
    # inventory
    "Campaign": inventory.CAMPAIGN,
    "CampaignPage": inventory.page_of(inventory.CAMPAIGN),
    "CreateCampaign": inventory.CREATE_CAMPAIGN,
    "ScanSession": inventory.SESSION,
    "ScanSessionPage": inventory.page_of(inventory.SESSION),
    "OpenScanSession": inventory.OPEN_SESSION,
    "PostScans": inventory.POST_SCANS,
    "ScansAccepted": inventory.SCANS_ACCEPTED,
    "StockTakeResultPage": inventory.page_of(inventory.RESULT_ROW),
    "StockTakeReport": inventory.REPORT,
    "Finding": inventory.FINDING,
    "FindingPage": inventory.page_of(inventory.FINDING),
    "RecordFinding": inventory.RECORD_FINDING,
    "UpdateFinding": inventory.UPDATE_FINDING,
    "ExpectedHoldingPage": inventory.page_of(inventory.HOLDING),
    "CountingCycle": inventory.CYCLE,
    "CountingCyclePage": inventory.page_of(inventory.CYCLE),
    "SetCountingCycle": inventory.SET_CYCLE,
}
# Problems a capability defines for itself (beyond shared.problems); their types are part of the contract.
CAPABILITY_PROBLEMS = (*circulation_problems.PROBLEMS,)

# --------------------------------------------------------------------------- operations


@dataclass(frozen=True)
class Operation:
    summary: str
    description: str
    response: str  # name in SCHEMAS of the success body
    status: int = 200
    request: str | None = None  # name in SCHEMAS of the JSON body
    query: tuple[str, ...] = ()  # names in QUERY
    etag: bool = False  # the success response carries the entity's ETag
    location: bool = False  # ... and a Location
    if_match: bool = False  # optimistic concurrency: If-Match required (428 / 412)
    idempotent: bool = False  # Idempotency-Key accepted (409 in progress / 422 reused)
    errors: tuple[int, ...] = ()  # statuses the route's own rules answer, beyond the protocol's
    alternatives: tuple[str, ...] = ()  # other media types of the success body (text, e.g. text/csv)


PATCH_NOTE = ("Send only the fields to change, with `If-Match` set to the ETag of your last read; "
              "a stale ETag answers 412 and changes nothing.")

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/me"): Operation(
        "Who am I",
        "The caller's profile, organisation and roles. Roles and organisation come from the token; a caller "
        "the identity provider knows but who has no profile yet answers with `user.status: unregistered`.",
        response="Me", errors=(400,)),
    ("GET", "/organisations"): Operation(
        "List organisations",
        "System administrators page through every organisation; anyone else gets a single page holding "
        "their own organisation.",
        response="OrganisationPage", query=("limit", "cursor"), errors=(400,)),
    ("POST", "/organisations"): Operation(
        "Create an organisation",
        "System administrators only. With `admin`, the organisation's first admin is registered in the same "
        "write and provisioned by the user-provisioning saga (poll the user until `active`). With an "
        "`Idempotency-Key`, a retry returns the first response and creates nothing twice.",
        response="OrganisationCreated", status=201, request="CreateOrganisation", etag=True, location=True,
        idempotent=True, errors=(403, 409)),
    ("GET", "/organisations/{org_id}"): Operation(
        "Read an organisation",
        "System administrators read any organisation; others only their own (another organisation answers 404).",
        response="Organisation", etag=True, errors=(400, 404)),
    ("PATCH", "/organisations/{org_id}"): Operation(
        "Change an organisation",
        "System administrators only. Rename, move under another parent (never under itself or a descendant) "
        "or deactivate. " + PATCH_NOTE,
        response="Organisation", request="UpdateOrganisation", etag=True, if_match=True, errors=(403, 404, 409)),
    ("GET", "/organisations/{org_id}/users"): Operation(
        "List an organisation's users",
        "Admins and auditors of the organisation, optionally filtered by status.",
        response="UserPage", query=("limit", "cursor", "status"), errors=(400, 403, 404)),
    ("POST", "/organisations/{org_id}/users"): Operation(
        "Register a user",
        "The organisation's admins only. Answers 202 with the user in `provisioning`: the identity-provider "
        "account is created by a saga. Poll `Location` until `status` is `active` (or `failed`, with "
        "`failure`). With an `Idempotency-Key`, a retry returns the first response and registers nobody twice.",
        response="User", status=202, request="CreateUser", etag=True, location=True, idempotent=True,
        errors=(403, 404, 409)),
    ("GET", "/organisations/{org_id}/users/{user_id}"): Operation(
        "Read a user",
        "Admins and auditors of the organisation, and the user themself.",
        response="User", etag=True, errors=(400, 403, 404)),
    ("PATCH", "/organisations/{org_id}/users/{user_id}"): Operation(
        "Change a user's name or roles",
        "The organisation's admins only; roles of a user who is not active cannot change, and an admin cannot "
        "remove their own admin role. " + PATCH_NOTE,
        response="User", request="UpdateUser", etag=True, if_match=True, errors=(403, 404, 409)),
    ("POST", "/organisations/{org_id}/users/{user_id}/deactivate"): Operation(
        "Deactivate a user",
        "The organisation's admins only. The account is disabled at the identity provider and its sessions "
        "end; an admin cannot deactivate themself. Send `If-Match` with the user's ETag.",
        response="User", etag=True, if_match=True, errors=(403, 404, 409)),
    ("POST", "/organisations/{org_id}/users/{user_id}/reactivate"): Operation(
        "Reactivate a user",
        "The organisation's admins only: a deactivated user becomes active again. Send `If-Match` with the "
        "user's ETag.",
        response="User", etag=True, if_match=True, errors=(403, 404, 409)),
    ("GET", "/directory/organisations"): Operation(
        "Partner directory of organisations",
        "For partner systems (API key): the active organisations' ids, names, types and parents, e.g. to "
        "address a transfer between agencies. Nothing else about them is disclosed.",
        response="DirectoryPage", query=("limit", "cursor"), errors=(400,)),
    ("GET", "/audit/entities/{entity_id}/events"): Operation(
        "Read an entity's history",
        "Auditors and admins of the entity's organisation: every domain event that named the entity, in order, "
        "each linked to the previous by a hash. With `verify=true` the whole chain is recomputed and the first "
        "broken link, if any, is reported.",
        response="EntityHistory", query=("limit", "cursor", "verify"), errors=(400, 403, 404)),
    # ------------------------------------------------------------------ stacks
    ("POST", "/repositories"): Operation(
        "Create a repository",
        "Stack managers and admins. A repository (서고) is a stack room with a code (`R01`), which is also its id "
        "and the first part of every location code inside it, and optional environment targets per medium "
        "(paper, photo_film, magnetic: temperature and relative-humidity ranges).",
        response="Repository", status=201, request="CreateRepository", etag=True, location=True, idempotent=True,
        errors=(403, 409)),
    ("GET", "/repositories"): Operation(
        "List repositories", "The repositories of the caller's organisation, by code.",
        response="RepositoryPage", query=("limit", "cursor"), errors=(400, 403)),
    ("GET", "/repositories/{repository_id}"): Operation(
        "Read a repository", "Any staff role of the organisation; another organisation's code answers 404.",
        response="Repository", etag=True, errors=(400, 403, 404)),
    ("PATCH", "/repositories/{repository_id}"): Operation(
        "Change a repository",
        "Stack managers and admins: name, barcode, environment targets, status (an inactive repository takes no "
        "new ranges). " + PATCH_NOTE,
        response="Repository", request="UpdateRepository", etag=True, if_match=True, errors=(403, 404, 409)),
    ("GET", "/repositories/{repository_id}/locations"): Operation(
        "List a repository's ranges, sections or shelves",
        "In code order. `kind` picks the level (default `range`); `within` narrows to a range or section. Shelves "
        "carry their dimensions and occupancy (boxes, width and weight used and free, fill ratio, holdings by "
        "record form and producing unit).",
        response="LocationPage", query=("limit", "cursor", "kind", "within"), errors=(400, 403, 404)),
    ("GET", "/repositories/{repository_id}/occupancy"): Operation(
        "Occupancy report",
        "Figures per repository, range and section (JSON); one row per shelf with `format=csv` (or "
        "`Accept: text/csv`); a map of each range's shelves coloured by fill ratio with `format=svg` (or "
        "`Accept: image/svg+xml`). `range` narrows to one range.",
        response="Occupancy", query=("format", "range"), errors=(400, 403, 404),
        alternatives=("text/csv", "image/svg+xml")),
    ("GET", "/repositories/{repository_id}/environment"): Operation(
        "Environment readings of a repository",
        "Temperature and humidity readings from the repository's sensors, oldest first, between `from` and `to` "
        "(ISO 8601; default the last 24 hours; at most 92 days), optionally of one sensor. Each reading lists the "
        "targets it broke.",
        response="ReadingPage", query=("limit", "cursor", "from", "to", "sensor_id"), errors=(400, 403, 404)),
    ("POST", "/locations"): Operation(
        "Create a range, section or shelf",
        "Stack managers and admins. The location's code follows from its parent and number (range 3 of R01 is "
        "`R01-03`, its section 5 `R01-03-05`, that section's shelf 2 `R01-03-05-2`) and is its id. Shelves need a "
        "location profile. With `layout`, a range is created with its sections and their shelves (or a section "
        "with its shelves) in the same write, at most 96 locations; nothing is created if any already exists.",
        response="LocationCreated", status=201, request="CreateLocation", etag=True, location=True,
        idempotent=True, errors=(403, 404, 409)),
    ("GET", "/locations/{location_id}"): Operation(
        "Read a range, section or shelf", "A shelf includes its dimensions and occupancy.",
        response="Location", etag=True, errors=(400, 403, 404)),
    ("PATCH", "/locations/{location_id}"): Operation(
        "Change a range, section or shelf",
        "Stack managers and admins: name, barcode, status (an inactive shelf takes no boxes) and, for a shelf, its "
        "location profile (refused with 409 when the shelf holds more than the new dimensions allow). "
        + PATCH_NOTE,
        response="Location", request="UpdateLocation", etag=True, if_match=True, errors=(403, 404, 409)),
    ("GET", "/locations/{location_id}/boxes"): Operation(
        "Boxes on a shelf", "The boxes whose home is this shelf, including those out on loan (see their status).",
        response="BoxPage", query=("limit", "cursor"), errors=(400, 403, 404)),
    ("GET", "/locations/{location_id}/history"): Operation(
        "A shelf's location history",
        "Every box that arrived at or left this shelf: from, to, when, who and why; newest first.",
        response="LocationHistoryPage", query=("limit", "cursor"), errors=(400, 403, 404)),
    ("POST", "/location-profiles"): Operation(
        "Create a location profile",
        "Stack managers and admins: shelf width, height and depth (mm) and load limit (kg). Shelves copy the "
        "profile's dimensions when they are created or re-profiled.",
        response="LocationProfile", status=201, request="CreateLocationProfile", etag=True, location=True,
        idempotent=True, errors=(403, 409)),
    ("GET", "/location-profiles"): Operation(
        "List location profiles", "The organisation's shelf profiles.",
        response="LocationProfilePage", query=("limit", "cursor"), errors=(400, 403)),
    ("GET", "/location-profiles/{profile_id}"): Operation(
        "Read a location profile", "Any staff role of the organisation.",
        response="LocationProfile", etag=True, errors=(400, 403, 404)),
    ("PATCH", "/location-profiles/{profile_id}"): Operation(
        "Change a location profile",
        "Applies to shelves created or re-profiled afterwards; existing shelves keep their dimensions. "
        + PATCH_NOTE,
        response="LocationProfile", request="UpdateLocationProfile", etag=True, if_match=True,
        errors=(403, 404)),
    ("POST", "/container-profiles"): Operation(
        "Create a container profile",
        "Stack managers and admins: a kind of archival box (보존상자) — outer dimensions (mm), typical filled "
        "weight (kg) and how many may be stacked.",
        response="ContainerProfile", status=201, request="CreateContainerProfile", etag=True, location=True,
        idempotent=True, errors=(403, 409)),
    ("GET", "/container-profiles"): Operation(
        "List container profiles", "The organisation's box profiles.",
        response="ContainerProfilePage", query=("limit", "cursor"), errors=(400, 403)),
    ("GET", "/container-profiles/{profile_id}"): Operation(
        "Read a container profile", "Any staff role of the organisation.",
        response="ContainerProfile", etag=True, errors=(400, 403, 404)),
    ("PATCH", "/container-profiles/{profile_id}"): Operation(
        "Change a container profile",
        "Applies to boxes registered afterwards; registered boxes keep their size. " + PATCH_NOTE,
        response="ContainerProfile", request="UpdateContainerProfile", etag=True, if_match=True,
        errors=(403, 404)),
    ("POST", "/boxes"): Operation(
        "Register a box",
        "Stack managers and admins. The barcode (and RFID tag, if any) must be unused in the organisation, by "
        "boxes and locations alike (409). The box starts `unplaced`.",
        response="Box", status=201, request="RegisterBox", etag=True, location=True, idempotent=True,
        errors=(403, 409)),
    ("GET", "/boxes"): Operation(
        "List boxes, or find one by barcode or RFID tag",
        "All boxes of the organisation (optionally of one `status`); with `barcode` or `rfid`, the single box "
        "that label names (a page of zero or one).",
        response="BoxPage", query=("limit", "cursor", "box_status", "barcode", "rfid"), errors=(400, 403)),
    ("GET", "/boxes/{box_id}"): Operation(
        "Read a box", "Its status, home shelf and current location.",
        response="Box", etag=True, errors=(400, 403, 404)),
    ("PATCH", "/boxes/{box_id}"): Operation(
        "Describe a box anew",
        "Stack managers and admins. A shelved box keeps its size and weight (they hold its space); changing its "
        "record form or producing unit regroups it in the shelf's holdings. " + PATCH_NOTE,
        response="Box", request="UpdateBox", etag=True, if_match=True, errors=(403, 404, 409)),
    ("PUT", "/boxes/{box_id}/placement"): Operation(
        "Place or move a box",
        "Stack managers and admins: puts an unplaced box on a shelf, moves a shelved one, or re-shelves a missing "
        "one. Refused with 409 (nothing written) when the shelf is full, overloaded, out of service or the box "
        "does not fit it. The same shelf again changes nothing (`unchanged`). Send `If-Match` with the box's ETag.",
        response="Placement", request="PlaceBox", etag=True, if_match=True, errors=(403, 404, 409)),
    ("DELETE", "/boxes/{box_id}/placement"): Operation(
        "Take a box off the shelves",
        "Stack managers and admins: frees the box's space on its home shelf (e.g. it leaves for a transfer); the "
        "box becomes `unplaced` (or stays `in_transfer`). Send `If-Match` with the box's ETag.",
        response="Box", query=("reason",), etag=True, if_match=True, errors=(400, 403, 404, 409)),
    ("POST", "/boxes/{box_id}/status"): Operation(
        "Change a box's status by hand",
        "Stack managers and admins: report a shelved box `missing`, a missing one found (`shelved`), or start or "
        "cancel a transfer (`in_transfer`). Reservations and check-outs belong to the check-out saga. Send "
        "`If-Match` with the box's ETag.",
        response="Box", request="ChangeBoxStatus", etag=True, if_match=True, errors=(403, 404, 409)),
    ("GET", "/boxes/{box_id}/history"): Operation(
        "A box's location history",
        "Every move: from, to, when, who and why (placements, moves, removals, check-outs and returns); newest "
        "first.",
        response="LocationHistoryPage", query=("limit", "cursor"), errors=(400, 403, 404)),
    ("POST", "/placements/bulk"): Operation(
        "Place or move many boxes",
        "Stack managers and admins: up to 500 boxes, each placed in its own transaction and reported in `results` "
        "(`placed`, `moved`, `found`, `unchanged` or `failed` with a problem); a full shelf fails only the boxes "
        "that do not fit. Bad input (a malformed code, a box listed twice) refuses the whole call before anything "
        "is written. With an `Idempotency-Key` a retry returns the first results.",
        response="BulkPlacement", request="BulkPlace", idempotent=True, errors=(403,)),
    ("GET", "/space"): Operation(
        "Space calculator",
        "Free capacity of a repository, range, section or shelf (`location_id`) and of each of its children: "
        "shelves, boxes, width and weight used and free, fill ratio. With `container_profile_id`, how many boxes "
        "of that profile still fit (shelf by shelf).",
        response="Space", query=("location_id", "container_profile_id"), errors=(400, 403, 404)),
    ("GET", "/space/suggestions"): Operation(
        "Where should boxes go",
        "Shelves for `count` boxes of a container profile (or like `box_id`), following the arrangement scheme "
        "(Enforcement Decree art. 38②: by record form and producing unit): first shelves already holding the "
        "same record form and producing unit, then the nearest free space (same section, neighbouring sections, "
        "other ranges), then space near the producing unit's other boxes, else free space in shelf order. Each "
        "suggestion says how many fit and how many of the boxes it takes.",
        response="Suggestions",
        query=("container_profile_id", "box_id", "count", "record_form", "producing_unit", "repository_id"),
        errors=(400, 403, 404)),
    ("POST", "/sensors"): Operation(
        "Register a sensor",
        "Stack managers and admins: binds a temperature/humidity sensor (its device id, unique across partners) "
        "to a repository and to the partner API key its readings come through (the key's id).",
        response="Sensor", status=201, request="RegisterSensor", etag=True, location=True, idempotent=True,
        errors=(403, 409)),
    ("GET", "/sensors"): Operation(
        "List sensors", "The organisation's sensors (optionally of one repository), with their last reading and "
        "current violations.",
        response="SensorPage", query=("limit", "cursor", "repository_id"), errors=(400, 403)),
    ("GET", "/sensors/{sensor_id}"): Operation(
        "Read a sensor", "Any staff role of the organisation.",
        response="Sensor", etag=True, errors=(400, 403, 404)),
    ("PATCH", "/sensors/{sensor_id}"): Operation(
        "Change a sensor",
        "Stack managers and admins: move it to another repository, bind it to another partner key, rename or "
        "retire it (a retired sensor's readings are refused). " + PATCH_NOTE,
        response="Sensor", request="UpdateSensor", etag=True, if_match=True, errors=(403, 404, 409)),
    ("POST", "/environment/readings"): Operation(
        "Post environment readings",
        "For sensor gateways (partner API key): up to 500 readings per call, each of a registered sensor bound to "
        "this key. A sensor that is not registered answers 404, one bound to another key or retired 403, and then "
        "nothing of the call is stored. A reading that breaks its repository's targets raises "
        "EnvironmentOutOfRange (once, when the sensor leaves the range), one that returns within them "
        "EnvironmentBackInRange; `changes` lists them. Retries store nothing twice.",
        response="ReadingsAccepted", request="PostReadings", idempotent=True, errors=(403, 404)),
    # ------------------------------------------------------------- circulation
    ("POST", "/circulation/requests"): Operation(
        "Request a box",
        "Requesters and archivists ask to take one box of their organisation out of the stacks for a purpose "
        "(reading, conservation, exhibition, digitisation, transfer), a period (at most the policy's "
        "`max_period_days`) and a destination. The organisation's policy is checked at once (422 "
        "`circulation-policy-refused` names the rule); a box circulation does not know answers 422 "
        "`unknown-box`, one that is missing or in transfer 409.",
        response="LoanRequest", status=201, request="CreateLoanRequest", etag=True, location=True,
        idempotent=True, errors=(403, 409)),
    ("GET", "/circulation/requests"): Operation(
        "List requests",
        "Newest first. Stack managers, admins and auditors see the organisation's requests; requesters and "
        "archivists their own. Filters apply within each page, so a page may hold fewer than `limit` items; "
        "follow `next_cursor` until it is null.",
        response="LoanRequestPage", query=("limit", "cursor", "request_status", "request_box", "requester"),
        errors=(400, 403)),
    ("GET", "/circulation/requests/{request_id}"): Operation(
        "Read a request",
        "Its status, parties, decision, and the current loan (check-out attempt) with due date, return and "
        "condition. Another organisation's request, or another person's for a requester, answers 404.",
        response="LoanRequest", etag=True, errors=(400, 403, 404)),
    ("POST", "/circulation/requests/{request_id}/approve"): Operation(
        "Approve a request",
        "Stack managers and admins of the owning organisation; not one's own request unless the policy allows. "
        "The request becomes `approved`, or `queued` when another request holds the box or others already wait "
        "for it (first come, first served).",
        response="LoanRequest", etag=True, if_match=True, idempotent=True, errors=(403, 404, 409)),
    ("POST", "/circulation/requests/{request_id}/reject"): Operation(
        "Reject a request", "Stack managers and admins, with a reason kept on the request.",
        response="LoanRequest", request="RejectLoanRequest", etag=True, if_match=True, idempotent=True,
        errors=(403, 404, 409)),
    ("POST", "/circulation/requests/{request_id}/cancel"): Operation(
        "Cancel a request",
        "The requester, or a stack manager, while it is requested, approved or queued. A ready request that is "
        "cancelled hands the box to the next in line.",
        response="LoanRequest", etag=True, if_match=True, idempotent=True, errors=(403, 404, 409)),
    ("POST", "/circulation/requests/{request_id}/check-out"): Operation(
        "Check the box out",
        "Stack managers and admins, for an approved request. Starts the check-out saga and answers 202 with the "
        "request `checking_out`; poll it until `checked_out` (the box is reserved in the stacks, the loan is in "
        "the register, and the box's current location is the destination) or back to `approved`/`queued` with "
        "`last_failure` (the saga released the box). 409 `box-on-loan` when another request holds the box.",
        response="LoanRequest", status=202, etag=True, location=True, if_match=True, idempotent=True,
        errors=(403, 404, 409)),
    ("POST", "/circulation/requests/{request_id}/return"): Operation(
        "Take the box back",
        "Stack managers and admins, with the box's condition (and a note). Starts the return saga and answers "
        "202 with the request `returning`; it becomes `returned` once the box is home on its shelf and the "
        "return is in the register, and the next request in the box's queue is promoted.",
        response="LoanRequest", status=202, request="ReturnLoan", etag=True, location=True, if_match=True,
        idempotent=True, errors=(403, 404, 409)),
    ("GET", "/circulation/register"): Operation(
        "The register (출입 및 열람·반출 관리대장)",
        "Every check-out and return (and the corrections a failed saga writes), in time order, filterable by "
        "period (`from`, `until`: days), box and person. `format=csv` exports every matching entry (at most "
        "10,000; narrow the period for more). Stack managers, admins and auditors.",
        response="RegisterPage", query=("limit", "cursor", "register_from", "until", "register_box", "person",
                                        "register_format"),
        errors=(400, 403), alternatives=("text/csv",)),
    ("GET", "/circulation/policy"): Operation(
        "Read the circulation policy",
        "The organisation's rules (the defaults until changed, with version 0): longest period, which purposes "
        "boxes of long retention may leave for, where each purpose may take a box, self-approval.",
        response="CirculationPolicy", etag=True, errors=(400, 403)),
    ("PUT", "/circulation/policy"): Operation(
        "Replace the circulation policy",
        "Stack managers and admins. Send the whole policy with `If-Match` of the last read (`\"0\"` while the "
        "defaults are in force).",
        response="CirculationPolicy", request="CirculationPolicyDocument", etag=True, if_match=True,
        errors=(403,)),
    # --------------------------------------------------------------- inventory
    ("POST", "/inventory/campaigns"): Operation(
        "Open a stock-take campaign",
        "Stack managers and admins. A campaign (정수점검) covers a repository or some of its ranges; staff scan its "
        "shelves, then `count` compares what was found with the expected holdings (kept from stacks' box events). "
        "With an `Idempotency-Key` a retry opens nothing twice.",
        response="Campaign", status=201, request="CreateCampaign", etag=True, location=True, idempotent=True,
        errors=(403,)),
    ("GET", "/inventory/campaigns"): Operation(
        "List campaigns", "The organisation's campaigns (stack managers, admins, archivists, auditors).",
        response="CampaignPage", query=("limit", "cursor"), errors=(400, 403)),
    ("GET", "/inventory/campaigns/{campaign_id}"): Operation(
        "Read a campaign", "Its status (`open` → `counting` → `counted` → `closed`), run and finding counters; "
        "another organisation's campaign answers 404.",
        response="Campaign", etag=True, errors=(400, 403, 404)),
    ("POST", "/inventory/campaigns/{campaign_id}/sessions"): Operation(
        "Open a scanning session",
        "Stack managers, admins and archivists, while the campaign is `open` (409 after its count started).",
        response="ScanSession", status=201, request="OpenScanSession", location=True, idempotent=True,
        errors=(403, 404, 409)),
    ("GET", "/inventory/campaigns/{campaign_id}/sessions"): Operation(
        "List a campaign's scanning sessions", "Who scanned with what device.",
        response="ScanSessionPage", query=("limit", "cursor"), errors=(400, 403, 404)),
    ("POST", "/inventory/campaigns/{campaign_id}/sessions/{session_id}/scans"): Operation(
        "Post what was found on a shelf",
        "Every barcode read on one shelf of the campaign's scope (up to 5,000 per call; a larger shelf in "
        "`batch` 1, 2, ...). Posting the same shelf and batch again replaces it (a rescan is the shelf's recount), "
        "so an interrupted scan resumes by posting the remaining shelves. A barcode read on two shelves counts "
        "where it was read last. Refused with 409 once the count started; a shelf outside the scope is a 400.",
        response="ScansAccepted", request="PostScans", idempotent=True, errors=(403, 404, 409)),
    ("POST", "/inventory/scanner/sessions/{session_id}/scans"): Operation(
        "Partner scanner: post what was found on a shelf",
        "For barcode scanners (partner API key): the same as the staff route, into a session a stack manager "
        "opened with this key's id (`api_key_id`). A session that is not bound to a scanner answers 404, one "
        "bound to another key 403, and nothing is written.",
        response="ScansAccepted", request="PostScans", idempotent=True, errors=(403, 404, 409)),
    ("POST", "/inventory/campaigns/{campaign_id}/count"): Operation(
        "Count: compare expected with found",
        "Stack managers and admins: closes the scanning and starts the stock-take state machine, which compares "
        "the expected boxes page by page (ranges in parallel) with the scans: `ok`, `misplaced` (found on another "
        "shelf), `missing`, `checked_out` (absent, and that is fine) and `unexpected` (unknown, or not expected "
        "here). Answers 202; poll the campaign until `counted` (a failed count opens it again with `last_error`). "
        "Send `If-Match` with the campaign's ETag.",
        response="Campaign", status=202, etag=True, location=True, if_match=True, errors=(403, 404, 409)),
    ("GET", "/inventory/campaigns/{campaign_id}/results"): Operation(
        "Results per box",
        "The last count's result for each expected box and each unexpected barcode, by result, shelf and box; "
        "`result` filters.",
        response="StockTakeResultPage", query=("limit", "cursor", "stock_take_result"), errors=(400, 403, 404)),
    ("GET", "/inventory/campaigns/{campaign_id}/report"): Operation(
        "Campaign report",
        "Counts per result and per range (JSON); one row per range with `format=csv` (or `Accept: text/csv`); a "
        "bar chart of them with `format=svg` (or `Accept: image/svg+xml`). Empty until counted.",
        response="StockTakeReport", query=("report_format",), errors=(400, 403, 404),
        alternatives=("text/csv", "image/svg+xml")),
    ("POST", "/inventory/campaigns/{campaign_id}/findings"): Operation(
        "Record a condition finding",
        "Stack managers, admins and archivists: a box's condition (상태검사: damaged, mould, faded, ...) opens a "
        "follow-up task (사후조치) with an owner. A campaign closes only when every finding has a decision.",
        response="Finding", status=201, request="RecordFinding", etag=True, location=True, idempotent=True,
        errors=(403, 404, 409)),
    ("GET", "/inventory/campaigns/{campaign_id}/findings"): Operation(
        "List a campaign's findings", "With their follow-up tasks (owner, status, decision).",
        response="FindingPage", query=("limit", "cursor"), errors=(400, 403, 404)),
    ("GET", "/inventory/campaigns/{campaign_id}/findings/{finding_id}"): Operation(
        "Read a finding", "With its follow-up task.",
        response="Finding", etag=True, errors=(400, 403, 404)),
    ("PATCH", "/inventory/campaigns/{campaign_id}/findings/{finding_id}"): Operation(
        "Follow a finding up",
        "Owner and task status (`open`, `in_progress`, `done`) by stack managers, admins and archivists; the "
        "`decision` (conservation, rehouse, digitise, monitor, write_off, no_action) by stack managers and admins. "
        + PATCH_NOTE,
        response="Finding", request="UpdateFinding", etag=True, if_match=True, errors=(403, 404, 409)),
    ("POST", "/inventory/campaigns/{campaign_id}/close"): Operation(
        "Close a campaign",
        "Stack managers and admins, once counted and when every finding has a decision (409 problem otherwise). "
        "Closing a whole-repository campaign restarts the repository's counting cycle. Send `If-Match`.",
        response="Campaign", etag=True, if_match=True, errors=(403, 404, 409)),
    ("GET", "/inventory/expected"): Operation(
        "Boxes expected on a shelf or in a range",
        "A scanner's worklist: the boxes whose home is the shelf (or in the range), from inventory's read model of "
        "stacks' box events (it follows stacks within seconds). Stack managers, admins, archivists and auditors.",
        response="ExpectedHoldingPage", query=("limit", "cursor", "expected_at"), errors=(400, 403)),
    ("POST", "/inventory/cycles"): Operation(
        "Set a repository's counting cycle",
        "Stack managers and admins: every holding of the repository is counted at least every `cycle_years` "
        "(default 4). A daily schedule opens a campaign for each repository whose cycle is due.",
        response="CountingCycle", request="SetCountingCycle", etag=True, idempotent=True, errors=(403, 409)),
    ("GET", "/inventory/cycles"): Operation(
        "List counting cycles", "Each repository's cycle, last count and next due date.",
        response="CountingCyclePage", query=("limit", "cursor"), errors=(400, 403)),
}

PATH_PARAMETERS = {
    "org_id": "Organisation id (a slug such as `national-archives`, or a generated UUID).",
    "user_id": "User id.",
    "entity_id": "Id of any entity named by a domain event (an organisation, a user, a box ...).",
    "repository_id": "A repository's code, e.g. `R01`.",
    "location_id": "A range, section or shelf code, e.g. `R01-03`, `R01-03-05`, `R01-03-05-2`.",
    "profile_id": "Profile id.",
    "box_id": "Box id.",
    "sensor_id": "Sensor (device) id.",
    "request_id": "Check-out request id.",
    "campaign_id": "Stock-take campaign id.",
    "session_id": "Scanning session id.",
    "finding_id": "Condition finding id.",
}

QUERY: dict[str, tuple[str, dict[str, Any]]] = {
    "request_status": ("LoanRequestStatus", {
        "name": "status", "in": "query", "required": False, "description": "Only requests in this status.",
        "schema": circulation.STATUS}),
    "request_box": ("LoanRequestBox", {
        "name": "box_id", "in": "query", "required": False, "description": "Only requests for this box.",
        "schema": circulation.BOX_ID}),
    "requester": ("Requester", {
        "name": "requester", "in": "query", "required": False,
        "description": "Only this person's requests (user id).", "schema": circulation.USER_ID}),
    "register_from": ("RegisterFrom", {
        "name": "from", "in": "query", "required": False, "description": "First day (YYYY-MM-DD, UTC).",
        "schema": circulation.DAY}),
    "until": ("RegisterUntil", {
        "name": "until", "in": "query", "required": False, "description": "Last day (YYYY-MM-DD, UTC).",
        "schema": circulation.DAY}),
    "register_box": ("RegisterBox", {
        "name": "box_id", "in": "query", "required": False, "description": "Only this box's entries.",
        "schema": circulation.BOX_ID}),
    "person": ("RegisterPerson", {
        "name": "person", "in": "query", "required": False,
        "description": "Only entries this person requested or handled (user id).", "schema": circulation.USER_ID}),
    "register_format": ("RegisterFormat", {
        "name": "format", "in": "query", "required": False,
        "description": "`json` (default) or `csv` (the whole selection, no paging).",
        "schema": circulation.REGISTER_FORMAT}),
    "limit": ("Limit", {
        "name": "limit", "in": "query", "required": False,
        "description": f"Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}}),
    "cursor": ("Cursor", {
        "name": "cursor", "in": "query", "required": False,
        "description": "Opaque `next_cursor` of the previous page; absent for the first page.",
        "schema": {"type": "string"}}),
    "status": ("UserStatus", {
        "name": "status", "in": "query", "required": False, "description": "Only users in this status.",
        "schema": identity.USER["properties"]["status"]}),
    "verify": ("Verify", {
        "name": "verify", "in": "query", "required": False,
        "description": "`true` recomputes the whole hash chain and adds `verification` to the answer.",
        "schema": {"type": "string", "enum": ["true", "false"], "default": "false"}}),
    "kind": ("LocationKind", {
        "name": "kind", "in": "query", "required": False, "description": "Which level to list.",
        "schema": stacks.LOCATION_KIND}),
    "within": ("Within", {
        "name": "within", "in": "query", "required": False,
        "description": "Only locations inside this range or section (a code).", "schema": stacks.LOCATION_CODE}),
    "format": ("ReportFormat", {
        "name": "format", "in": "query", "required": False,
        "description": "`json` (default), `csv` (one row per shelf) or `svg` (a map per range); overrides Accept.",
        "schema": stacks.REPORT_FORMAT}),
    "range": ("Range", {
        "name": "range", "in": "query", "required": False, "description": "Only this range (a code, e.g. `R01-03`).",
        "schema": stacks.LOCATION_CODE}),
    "from": ("From", {
        "name": "from", "in": "query", "required": False,
        "description": "Start of the period (ISO 8601 with a zone); default 24 hours before `to`.",
        "schema": {"type": "string", "format": "date-time"}}),
    "to": ("To", {
        "name": "to", "in": "query", "required": False, "description": "End of the period; default now.",
        "schema": {"type": "string", "format": "date-time"}}),
    "sensor_id": ("SensorFilter", {
        "name": "sensor_id", "in": "query", "required": False, "description": "Only this sensor's readings.",
        "schema": stacks.ID}),
    "box_status": ("BoxStatus", {
        "name": "status", "in": "query", "required": False, "description": "Only boxes in this status.",
        "schema": stacks.BOX_STATUS}),
    "barcode": ("Barcode", {
        "name": "barcode", "in": "query", "required": False, "description": "The box this barcode names.",
        "schema": stacks.BARCODE}),
    "rfid": ("Rfid", {
        "name": "rfid", "in": "query", "required": False, "description": "The box this RFID tag names.",
        "schema": stacks.RFID}),
    "reason": ("Reason", {
        "name": "reason", "in": "query", "required": False, "description": "Why (kept in the location history).",
        "schema": stacks.REASON}),
    "location_id": ("LocationFilter", {
        "name": "location_id", "in": "query", "required": True,
        "description": "A repository, range, section or shelf code.", "schema": stacks.LOCATION_CODE}),
    "container_profile_id": ("ContainerProfileFilter", {
        "name": "container_profile_id", "in": "query", "required": False,
        "description": "The boxes' container profile (their size).", "schema": stacks.ID}),
    "box_id": ("LikeBox", {
        "name": "box_id", "in": "query", "required": False,
        "description": "Suggest for boxes like this one (its size, record form and producing unit).",
        "schema": stacks.ID}),
    "count": ("Count", {
        "name": "count", "in": "query", "required": False, "description": "How many boxes (1-500).",
        "schema": stacks.COUNT}),
    "record_form": ("RecordForm", {
        "name": "record_form", "in": "query", "required": False, "description": "The boxes' record form.",
        "schema": stacks.RECORD_FORM}),
    "producing_unit": ("ProducingUnit", {
        "name": "producing_unit", "in": "query", "required": False, "description": "The boxes' producing unit.",
        "schema": stacks.PRODUCING_UNIT}),
    "repository_id": ("RepositoryFilter", {
        "name": "repository_id", "in": "query", "required": False, "description": "Only this repository (a code).",
        "schema": stacks.REPOSITORY_CODE}),
    "stock_take_result": ("StockTakeResult", {
        "name": "result", "in": "query", "required": False, "description": "Only this result.",
        "schema": inventory.RESULT}),
    "expected_at": ("ExpectedAt", {
        "name": "location_id", "in": "query", "required": True, "description": "A range or a shelf code.",
        "schema": inventory.EXPECTED_AT}),
    "report_format": ("CampaignReportFormat", {
        "name": "format", "in": "query", "required": False,
        "description": "`json` (default), `csv` (one row per range) or `svg` (a bar chart); overrides Accept.",
        "schema": inventory.REPORT_FORMAT}),
}

REQUEST_HEADERS = {
    "IfMatch": {
        "name": "If-Match", "in": "header", "required": True,
        "description": "The ETag of your last read of this resource. Missing answers 428; stale answers 412.",
        "schema": {"type": "string", "pattern": r'^(W/)?"[0-9]+"$', "examples": ['"3"']}},
    "IdempotencyKey": {
        "name": "Idempotency-Key", "in": "header", "required": False,
        "description": "Makes a retry safe: the same key and body within 24 hours returns the first response "
                       "(with `Idempotent-Replayed: true`); the same key with another body answers 422, and "
                       "while the first request still runs, 409.",
        "schema": {"type": "string", "pattern": KEY_PATTERN.pattern}},
    "CorrelationId": {
        "name": "X-Correlation-Id", "in": "header", "required": False,
        "description": "Carried into logs, domain events and saga steps; generated when absent.",
        "schema": {"type": "string", "maxLength": 128}},
}

RESPONSE_HEADERS = {
    "ETag": {"description": "The entity's version, to send back as `If-Match`.",
             "schema": {"type": "string", "pattern": r'^"[0-9]+"$'}},
    "Location": {"description": "Path of the created resource.", "schema": {"type": "string"}},
    "IdempotentReplayed": {"description": "`true` when this is the stored response of an earlier request "
                                          "with the same Idempotency-Key.",
                           "schema": {"type": "string", "enum": ["true"]}},
    "CorrelationId": {"description": "The request's correlation id.", "schema": {"type": "string"}},
}

ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is malformed or invalid; nothing was written."),
    401: ("Unauthenticated", "No valid bearer token."),
    403: ("Forbidden", "The caller may not do this."),
    404: ("NotFound", "No such resource in the caller's organisation (other organisations' data is never disclosed)."),
    409: ("Conflict", "The change conflicts with the resource's current state, or a request with the same "
                      "Idempotency-Key is still running."),
    412: ("PreconditionFailed", "If-Match does not match the current ETag: read again and retry."),
    413: ("PayloadTooLarge", "The body is larger than the route accepts."),
    415: ("UnsupportedMediaType", "Send the body as application/json."),
    422: ("IdempotencyKeyReused", "The Idempotency-Key was already used with a different request."),
    428: ("PreconditionRequired", "If-Match is required on this route."),
    429: ("TooManyRequests", "The partner usage plan's rate or quota is exhausted."),
    503: ("ServiceUnavailable", "A backing service is busy or unavailable; retry with backoff."),
}

INFO_DESCRIPTION = """\
Records management backend: organisations, users and roles, the audit trail, and (as they land) the
other records capabilities. One REST API in front of one Lambda function per capability.

## Authentication
- **Staff routes** (`StaffToken`): `Authorization: Bearer <Cognito ID token>` of the staff user pool. The
  caller's organisation (`custom:org_id`) and roles (`cognito:groups`) travel in the token; each route
  then checks roles and organisation itself. Another organisation's resources answer 404.
- **Partner routes** (`PartnerApiKey`): `X-Api-Key: <key>` of the partner usage plan (rate-limited, 429).
- Locally (`make run`) a token issuer stands in for Cognito and prints tokens for each demo role.

## Conventions
- Errors are RFC 9457 `application/problem+json` with a stable `type` URI
  (`https://records.example/problems/<slug>`), a human `detail` and, for bad input, `errors[]` naming fields.
- Every entity carries a `version`; reads return it as `ETag`. Changes need `If-Match` (428 when missing,
  412 when stale).
- Creating POSTs accept an `Idempotency-Key`; a retry with the same key never creates twice.
- Lists are pages `{items, next_cursor}`; pass `next_cursor` back as `cursor` until it is null.
- Send `X-Correlation-Id` to follow a request through logs, events and sagas.
"""


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _problem_types(template: dict[str, Any]) -> dict[int, dict[str, str]]:
    """Problem types (URI → title) by status: the functions' (shared.problems), then the gateway's (template)."""
    types: dict[int, dict[str, str]] = {}
    for value in [*vars(problems).values(), *CAPABILITY_PROBLEMS]:
        if isinstance(value, type) and issubclass(value, problems.Problem) and value is not problems.Problem:
            types.setdefault(value.status, {})[problems.PROBLEM_BASE + value.slug] = value.title
    gateway = template["Resources"][API_RESOURCE]["Properties"].get("GatewayResponses", {})
    for response in gateway.values():
        for body in (response.get("ResponseTemplates") or {}).values():
            problem = json.loads(body)
            if problem.get("type"):
                # DEFAULT_5XX keeps the status of the error it stands for; its body names it.
                status = int(response.get("StatusCode") or problem["status"])
                types.setdefault(status, {}).setdefault(problem["type"], problem.get("title", ""))
    return types


def _error_responses(template: dict[str, Any]) -> dict[str, Any]:
    known = _problem_types(template)
    responses = {}
    for status, (name, description) in ERRORS.items():
        kinds = known.get(status, {})
        if not kinds:
            raise ValueError(f"no problem type answers {status}; add one to shared.problems or the template")
        text = description + "\n\nProblem types: " + ", ".join(f"`{t}`" for t in kinds)
        first_type, first_title = next(iter(kinds.items()))
        example = {"type": first_type, "title": first_title, "status": status, "detail": description}
        responses[name] = {
            "description": text,
            "headers": {"X-Correlation-Id": _ref("headers", "CorrelationId")},
            "content": {problems.PROBLEM_CONTENT_TYPE: {"schema": _ref("schemas", "Problem"), "example": example}},
        }
    return responses


def _operation(route: Route, op: Operation, operation_id: str) -> dict[str, Any]:
    parameters = [
        {"name": name, "in": "path", "required": True, "description": PATH_PARAMETERS[name],
         "schema": {"type": "string", "minLength": 1}}
        for name in re.findall(r"{([^}]+)}", route.path)
    ]
    parameters += [_ref("parameters", QUERY[name][0]) for name in op.query]
    if op.if_match:
        parameters.append(_ref("parameters", "IfMatch"))
    if op.idempotent:
        parameters.append(_ref("parameters", "IdempotencyKey"))
    parameters.append(_ref("parameters", "CorrelationId"))

    headers = {"X-Correlation-Id": _ref("headers", "CorrelationId")}
    if op.etag:
        headers["ETag"] = _ref("headers", "ETag")
    if op.location:
        headers["Location"] = _ref("headers", "Location")
    if op.idempotent:
        headers["Idempotent-Replayed"] = _ref("headers", "IdempotentReplayed")
    content = {"application/json": {"schema": _ref("schemas", op.response)}}
    for media_type in op.alternatives:
        content[media_type] = {"schema": {"type": "string"}}
    success = {"description": {200: "OK", 201: "Created", 202: "Accepted; completes asynchronously"}[op.status],
               "headers": headers, "content": content}

    statuses = set(op.errors) | {503}
    if route.security == "StaffToken":
        statuses.add(401)
    elif route.security == "PartnerApiKey":
        statuses |= {403, 429}
    if op.request or op.idempotent:
        statuses.add(400)
    if op.request:
        statuses |= {413, 415}
    if op.if_match:
        statuses |= {412, 428}
    if op.idempotent:
        statuses |= {409, 422}
    responses = {str(op.status): success}
    responses.update({str(s): _ref("responses", ERRORS[s][0]) for s in sorted(statuses)})

    operation: dict[str, Any] = {
        "operationId": operation_id, "summary": op.summary, "description": op.description,
        "tags": [route.capability], "security": [{route.security: []}] if route.security else [],
        "parameters": parameters,
    }
    if op.request:
        body_schema = _ref("schemas", op.request)
        content = {"application/json": {"schema": body_schema}}
        if route.method == "PATCH":
            content["application/merge-patch+json"] = {"schema": body_schema}
        operation["requestBody"] = {"required": True, "content": content}
    operation["responses"] = responses
    return operation


def build(template: dict[str, Any] | None = None) -> dict[str, Any]:
    template = template or load_template()
    routes = template_routes(template)
    keys = [(r.method, r.path) for r in routes]
    if len(set(keys)) != len(keys):
        raise ValueError("template.yaml declares a route twice")
    missing = set(keys) - set(OPERATIONS)
    if missing:
        raise ValueError(f"describe these template routes in OPERATIONS: {sorted(missing)}")
    unknown = set(OPERATIONS) - set(keys)
    if unknown:
        raise ValueError(f"OPERATIONS describes routes the template does not declare: {sorted(unknown)}")

    views: dict[str, dict[tuple[str, str], str]] = {}
    tags: dict[str, str] = {}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if route.module not in views:
            views[route.module] = chalice_views(route.module)
        operation_id = views[route.module].get((route.method, route.path))
        if operation_id is None:
            raise ValueError(f"{route.module} has no view for {route.method} {route.path}")
        tags.setdefault(route.capability, template["Resources"][route.function]["Properties"].get("Description", ""))
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(
            route, OPERATIONS[(route.method, route.path)], operation_id)

    stage = template.get("Parameters", {}).get("Stage", {}).get("Default", "v1")
    return {
        "openapi": "3.1.0",
        "info": {"title": "Records management API", "version": VERSION, "description": INFO_DESCRIPTION},
        "servers": [
            {"url": LOCAL_URL, "description": "The local system (`make run`)."},
            {"url": "https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}",
             "description": "A deployed stack (the `ApiUrl` output).",
             "variables": {"restApiId": {"default": "example", "description": "The RecordsApi id."},
                           "region": {"default": "eu-west-1"},
                           "stage": {"default": stage, "description": "The `Stage` parameter."}}},
        ],
        "tags": [{"name": name, "description": description} for name, description in tags.items()],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "StaffToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                               "description": "Cognito ID token of the staff user pool (the `StaffCognito` "
                                              "authorizer). Carries `custom:org_id` and `cognito:groups`."},
                "PartnerApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                                  "description": "API key of the partner usage plan."},
            },
            "schemas": copy.deepcopy(SCHEMAS),
            "parameters": {**{name: param for name, param in QUERY.values()}, **REQUEST_HEADERS},
            "headers": RESPONSE_HEADERS,
            "responses": _error_responses(template),
        },
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed document is stale")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
        if current != text:
            print(f"{DOCUMENT.relative_to(ROOT)} is stale: run `python -m infrastructure.api.build_openapi`",
                  file=sys.stderr)
            return 1
        print(f"{DOCUMENT.relative_to(ROOT)} is up to date")
        return 0
    DOCUMENT.write_text(text, encoding="utf-8")
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
