"""Stacks' HTTP routes: parse, call one logic function, shape the reply.

Resources (ids of locations are their codes, e.g. `R01-03-05-2`):
  /repositories[/{repository_id}[/locations|/occupancy|/environment]]
  /locations[/{location_id}[/boxes|/history]]          ranges, sections and shelves
  /location-profiles, /container-profiles[/{profile_id}]
  /boxes[/{box_id}[/placement|/status|/history]], /placements/bulk
  /space, /space/suggestions                            calculator and arrangement-aware suggestions
  /sensors[/{sensor_id}], /environment/readings (partner API key)
"""
from __future__ import annotations

from typing import Any

from shared.concurrency import expected_version
from shared.http import Api, Reply, RequestContext
from shared.pagination import parse_limit
from shared.problems import ValidationFailed
from shared.validation import validate

from . import logic, schemas

api = Api("stacks")
app = api.app
LIST_PARAMS = {"limit", "cursor"}
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8", "svg": "image/svg+xml; charset=utf-8"}


def _page(items, cursor) -> Reply:
    return Reply({"items": [i if isinstance(i, dict) else i.public() for i in items], "next_cursor": cursor})


def _query(params, name: str, schema: dict[str, Any]) -> Any:
    """A validated query parameter (integers arrive as text)."""
    value = params.get(name)
    if value is None:
        return None
    if schema.get("type") == "integer":
        if not value.isdigit():
            raise ValidationFailed(f"{name} must be an integer", errors=[{"field": name, "message": "not an integer"}])
        value = int(value)
    try:
        return validate(value, schema)
    except ValidationFailed as exc:
        raise ValidationFailed(f"{name}: {exc.detail.split(': ', 1)[-1]}",
                               errors=[{"field": name, "message": exc.errors[0]["message"] if exc.errors else "invalid"}]) from None


# -------------------------------------------------------------- repositories
@api.route("/repositories", "POST", idempotent=True)
def create_repository(ctx: RequestContext) -> Reply:
    repository = logic.create_repository(ctx.require_caller(), ctx.json(schemas.CREATE_REPOSITORY))
    return Reply(repository.public(), status=201, version=repository.version,
                 location=f"/repositories/{repository.id}")


@api.route("/repositories", "GET")
def list_repositories(ctx: RequestContext) -> Reply:
    params = ctx.params(LIST_PARAMS)
    return _page(*logic.list_repositories(ctx.require_caller(), parse_limit(params), params.get("cursor")))


@api.route("/repositories/{repository_id}", "GET")
def get_repository(ctx: RequestContext, repository_id: str) -> Reply:
    ctx.params(set())
    repository = logic.get_repository(ctx.require_caller(), repository_id)
    return Reply(repository.public(), version=repository.version)


@api.route("/repositories/{repository_id}", "PATCH")
def update_repository(ctx: RequestContext, repository_id: str) -> Reply:
    changes = ctx.json(schemas.UPDATE_REPOSITORY)
    repository = logic.update_repository(ctx.require_caller(), repository_id, changes,
                                         expected_version(ctx.header("if-match")))
    return Reply(repository.public(), version=repository.version)


@api.route("/repositories/{repository_id}/locations", "GET")
def list_locations(ctx: RequestContext, repository_id: str) -> Reply:
    params = ctx.params(LIST_PARAMS | {"kind", "within"})
    kind = _query(params, "kind", schemas.LOCATION_KIND) or "range"
    return _page(*logic.list_locations(ctx.require_caller(), repository_id, kind, params.get("within"),
                                       parse_limit(params), params.get("cursor")))


@api.route("/repositories/{repository_id}/occupancy", "GET")
def occupancy_report(ctx: RequestContext, repository_id: str) -> Reply:
    """JSON figures per range and section; `format=csv` (or Accept: text/csv) one row per shelf;
    `format=svg` (or Accept: image/svg+xml) a map of the shelves coloured by fill."""
    params = ctx.params({"format", "range"})
    fmt = _query(params, "format", schemas.REPORT_FORMAT) or _negotiate(ctx.header("accept"))
    report = logic.occupancy(ctx.require_caller(), repository_id, params.get("range"))
    if fmt == "csv":
        name = f"occupancy-{report['scope']}.csv"
        return Reply(logic.occupancy_csv(report), content_type=MEDIA_TYPES["csv"],
                     headers={"Content-Disposition": f'inline; filename="{name}"'})
    if fmt == "svg":
        return Reply(logic.occupancy_svg(report), content_type=MEDIA_TYPES["svg"])
    return Reply(logic.public_report(report))


def _negotiate(accept: str | None) -> str:
    accept = (accept or "").lower()
    if "text/csv" in accept:
        return "csv"
    if "image/svg+xml" in accept:
        return "svg"
    return "json"


@api.route("/repositories/{repository_id}/environment", "GET")
def environment_readings(ctx: RequestContext, repository_id: str) -> Reply:
    params = ctx.params(LIST_PARAMS | {"from", "to", "sensor_id"})
    items, cursor = logic.readings(ctx.require_caller(), repository_id, dict(params), parse_limit(params),
                                   params.get("cursor"))
    return _page(items, cursor)


# ------------------------------------------------------------------ locations
@api.route("/locations", "POST", idempotent=True)
def create_location(ctx: RequestContext) -> Reply:
    location, created = logic.create_location(ctx.require_caller(), ctx.json(schemas.CREATE_LOCATION))
    return Reply({"location": location.public(), "created": created}, status=201, version=location.version,
                 location=f"/locations/{location.id}")


@api.route("/locations/{location_id}", "GET")
def get_location(ctx: RequestContext, location_id: str) -> Reply:
    ctx.params(set())
    location = logic.get_location(ctx.require_caller(), location_id)
    return Reply(location.public(), version=location.version)


@api.route("/locations/{location_id}", "PATCH")
def update_location(ctx: RequestContext, location_id: str) -> Reply:
    changes = ctx.json(schemas.UPDATE_LOCATION)
    location = logic.update_location(ctx.require_caller(), location_id, changes,
                                     expected_version(ctx.header("if-match")))
    return Reply(location.public(), version=location.version)


@api.route("/locations/{location_id}/boxes", "GET")
def list_shelf_boxes(ctx: RequestContext, location_id: str) -> Reply:
    params = ctx.params(LIST_PARAMS)
    return _page(*logic.boxes_on_shelf(ctx.require_caller(), location_id, parse_limit(params), params.get("cursor")))


@api.route("/locations/{location_id}/history", "GET")
def shelf_history(ctx: RequestContext, location_id: str) -> Reply:
    params = ctx.params(LIST_PARAMS)
    return _page(*logic.shelf_history(ctx.require_caller(), location_id, parse_limit(params), params.get("cursor")))


# ------------------------------------------------------------------- profiles
@api.route("/location-profiles", "POST", idempotent=True)
def create_location_profile(ctx: RequestContext) -> Reply:
    profile = logic.create_location_profile(ctx.require_caller(), ctx.json(schemas.CREATE_LOCATION_PROFILE),
                                            ctx.header("idempotency-key"))
    return Reply(profile.public(), status=201, version=profile.version, location=f"/location-profiles/{profile.id}")


@api.route("/location-profiles", "GET")
def list_location_profiles(ctx: RequestContext) -> Reply:
    params = ctx.params(LIST_PARAMS)
    return _page(*logic.list_profiles(ctx.require_caller(), "location", parse_limit(params), params.get("cursor")))


@api.route("/location-profiles/{profile_id}", "GET")
def get_location_profile(ctx: RequestContext, profile_id: str) -> Reply:
    ctx.params(set())
    profile = logic.get_profile(ctx.require_caller(), "location", profile_id)
    return Reply(profile.public(), version=profile.version)


@api.route("/location-profiles/{profile_id}", "PATCH")
def update_location_profile(ctx: RequestContext, profile_id: str) -> Reply:
    changes = ctx.json(schemas.UPDATE_LOCATION_PROFILE)
    profile = logic.update_profile(ctx.require_caller(), "location", profile_id, changes,
                                   expected_version(ctx.header("if-match")))
    return Reply(profile.public(), version=profile.version)


@api.route("/container-profiles", "POST", idempotent=True)
def create_container_profile(ctx: RequestContext) -> Reply:
    profile = logic.create_container_profile(ctx.require_caller(), ctx.json(schemas.CREATE_CONTAINER_PROFILE),
                                             ctx.header("idempotency-key"))
    return Reply(profile.public(), status=201, version=profile.version, location=f"/container-profiles/{profile.id}")


@api.route("/container-profiles", "GET")
def list_container_profiles(ctx: RequestContext) -> Reply:
    params = ctx.params(LIST_PARAMS)
    return _page(*logic.list_profiles(ctx.require_caller(), "container", parse_limit(params), params.get("cursor")))


@api.route("/container-profiles/{profile_id}", "GET")
def get_container_profile(ctx: RequestContext, profile_id: str) -> Reply:
    ctx.params(set())
    profile = logic.get_profile(ctx.require_caller(), "container", profile_id)
    return Reply(profile.public(), version=profile.version)


@api.route("/container-profiles/{profile_id}", "PATCH")
def update_container_profile(ctx: RequestContext, profile_id: str) -> Reply:
    changes = ctx.json(schemas.UPDATE_CONTAINER_PROFILE)
    profile = logic.update_profile(ctx.require_caller(), "container", profile_id, changes,
                                   expected_version(ctx.header("if-match")))
    return Reply(profile.public(), version=profile.version)


# ---------------------------------------------------------------------- boxes
@api.route("/boxes", "POST", idempotent=True)
def register_box(ctx: RequestContext) -> Reply:
    box = logic.register_box(ctx.require_caller(), ctx.json(schemas.REGISTER_BOX), ctx.header("idempotency-key"))
    return Reply(box.public(), status=201, version=box.version, location=f"/boxes/{box.id}")


@api.route("/boxes", "GET")
def list_boxes(ctx: RequestContext) -> Reply:
    params = ctx.params(LIST_PARAMS | {"status", "barcode", "rfid"})
    status = _query(params, "status", schemas.BOX_STATUS)
    barcode = _query(params, "barcode", schemas.BARCODE)
    rfid = _query(params, "rfid", schemas.RFID)
    return _page(*logic.list_boxes(ctx.require_caller(), parse_limit(params), params.get("cursor"), status,
                                   barcode, rfid))


@api.route("/boxes/{box_id}", "GET")
def get_box(ctx: RequestContext, box_id: str) -> Reply:
    ctx.params(set())
    box = logic.get_box(ctx.require_caller(), box_id)
    return Reply(box.public(), version=box.version)


@api.route("/boxes/{box_id}", "PATCH")
def update_box(ctx: RequestContext, box_id: str) -> Reply:
    changes = ctx.json(schemas.UPDATE_BOX)
    box = logic.update_box(ctx.require_caller(), box_id, changes, expected_version(ctx.header("if-match")))
    return Reply(box.public(), version=box.version)


@api.route("/boxes/{box_id}/placement", "PUT")
def place_box(ctx: RequestContext, box_id: str) -> Reply:
    """Put the box on a shelf: places an unplaced box, moves a shelved one, re-shelves a missing one."""
    body = ctx.json(schemas.PLACE_BOX)
    outcome, box = logic.place_box(ctx.require_caller(), box_id, body, expected_version(ctx.header("if-match")))
    return Reply({"outcome": outcome, "box": box.public()}, version=box.version)


@api.route("/boxes/{box_id}/placement", "DELETE")
def remove_box(ctx: RequestContext, box_id: str) -> Reply:
    params = ctx.params({"reason"})
    reason = _query(params, "reason", schemas.REASON)
    box = logic.remove_box(ctx.require_caller(), box_id, reason, expected_version(ctx.header("if-match")))
    return Reply(box.public(), version=box.version)


@api.route("/boxes/{box_id}/status", "POST")
def change_box_status(ctx: RequestContext, box_id: str) -> Reply:
    body = ctx.json(schemas.CHANGE_BOX_STATUS)
    box = logic.change_status(ctx.require_caller(), box_id, body, expected_version(ctx.header("if-match")))
    return Reply(box.public(), version=box.version)


@api.route("/boxes/{box_id}/history", "GET")
def box_history(ctx: RequestContext, box_id: str) -> Reply:
    params = ctx.params(LIST_PARAMS)
    return _page(*logic.box_history(ctx.require_caller(), box_id, parse_limit(params), params.get("cursor")))


@api.route("/placements/bulk", "POST", idempotent=True)
def bulk_place(ctx: RequestContext) -> Reply:
    """Place or move up to 500 boxes; every box gets its own result (see the summary)."""
    return Reply(logic.bulk_place(ctx.require_caller(), ctx.json(schemas.BULK_PLACE)))


# ---------------------------------------------------------------------- space
@api.route("/space", "GET")
def space_calculator(ctx: RequestContext) -> Reply:
    params = ctx.params({"location_id", "container_profile_id"})
    return Reply(logic.space(ctx.require_caller(), params.get("location_id"), params.get("container_profile_id")))


@api.route("/space/suggestions", "GET")
def placement_suggestions(ctx: RequestContext) -> Reply:
    params = ctx.params({"container_profile_id", "box_id", "count", "record_form", "producing_unit",
                         "repository_id"})
    query = {"count": _query(params, "count", schemas.COUNT) or 1,
             "record_form": _query(params, "record_form", schemas.RECORD_FORM),
             "producing_unit": _query(params, "producing_unit", schemas.PRODUCING_UNIT),
             "container_profile_id": params.get("container_profile_id"), "box_id": params.get("box_id"),
             "repository_id": params.get("repository_id")}
    return Reply(logic.suggestions(ctx.require_caller(), query))


# -------------------------------------------------------------------- sensors
@api.route("/sensors", "POST", idempotent=True)
def register_sensor(ctx: RequestContext) -> Reply:
    sensor = logic.register_sensor(ctx.require_caller(), ctx.json(schemas.REGISTER_SENSOR))
    return Reply(sensor.public(), status=201, version=sensor.version, location=f"/sensors/{sensor.id}")


@api.route("/sensors", "GET")
def list_sensors(ctx: RequestContext) -> Reply:
    params = ctx.params(LIST_PARAMS | {"repository_id"})
    return _page(*logic.list_sensors(ctx.require_caller(), parse_limit(params), params.get("cursor"),
                                     params.get("repository_id")))


@api.route("/sensors/{sensor_id}", "GET")
def get_sensor(ctx: RequestContext, sensor_id: str) -> Reply:
    ctx.params(set())
    sensor = logic.get_sensor(ctx.require_caller(), sensor_id)
    return Reply(sensor.public(), version=sensor.version)


@api.route("/sensors/{sensor_id}", "PATCH")
def update_sensor(ctx: RequestContext, sensor_id: str) -> Reply:
    changes = ctx.json(schemas.UPDATE_SENSOR)
    sensor = logic.update_sensor(ctx.require_caller(), sensor_id, changes, expected_version(ctx.header("if-match")))
    return Reply(sensor.public(), version=sensor.version)


@api.route("/environment/readings", "POST", public=True, idempotent=True)
def post_readings(ctx: RequestContext) -> Reply:
    """Partner route (API key): sensor gateways post temperature and humidity readings in bulk."""
    body = ctx.json(schemas.POST_READINGS)
    return Reply(logic.record_readings(_api_key_id(), body))


def _api_key_id() -> str | None:
    """Which partner API key API Gateway accepted (requestContext.identity.apiKeyId)."""
    request = getattr(app, "current_request", None)
    identity = ((getattr(request, "context", None) or {}).get("identity") or {}) if request is not None else {}
    return identity.get("apiKeyId")


handler = api.lambda_handler()
