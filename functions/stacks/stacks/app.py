"""Stacks' HTTP routes: parse, call one logic function, shape the reply.

Resources (ids of locations are their codes, e.g. `R01-03-05-2`):
  /repositories[/{repository_id}[/locations|/occupancy|/environment]]
  /locations[/{location_id}[/boxes|/history]]          ranges, sections and shelves
  /location-profiles, /container-profiles[/{profile_id}]
  /boxes[/{box_id}[/placement|/status|/history]], /placements/bulk
  /space, /space/suggestions                            calculator and arrangement-aware suggestions
  /sensors[/{sensor_id}], /environment/readings (partner key)
  /boxes/bulk, /stacks/jobs[/{job_id}[/errors]]          bulk registration as a job (202 + progress)
"""
from __future__ import annotations

from shared.http import Api, Reply, RequestContext, file_reply, negotiate, page
from shared.jobs import MAX_UPLOAD_BYTES, Job
from shared.pagination import PAGE

from . import logic, schemas

api = Api("stacks")
app = api.app


# -------------------------------------------------------------- repositories
@api.route("/repositories", "POST", summary="Create a repository", response=schemas.REPOSITORY, status=201,
           body=schemas.CREATE_REPOSITORY, idempotent=True, etag=True, errors=(403, 409))
def create_repository(ctx: RequestContext) -> Reply:
    """Stack managers and admins. A repository (서고) is a stack room with a code (`R01`), which is also its id
    and the first part of every location code inside it, and optional environment targets per medium (paper,
    photo_film, magnetic: temperature and relative-humidity ranges)."""
    repository = logic.create_repository(ctx.require_caller(), ctx.json())
    return Reply(repository.public(), version=repository.version,
                 location=f"/repositories/{repository.id}")


@api.route("/repositories", "GET", summary="List repositories", response=schemas.REPOSITORY_PAGE, query=PAGE,
           errors=(403,))
def list_repositories(ctx: RequestContext) -> Reply:
    """The repositories of the caller's organisation, by code."""
    return page(*logic.list_repositories(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"]))


@api.route("/repositories/{repository_id}", "GET", summary="Read a repository", response=schemas.REPOSITORY,
           etag=True, errors=(403, 404))
def get_repository(ctx: RequestContext, repository_id: str) -> Reply:
    """Any staff role of the organisation; another organisation's code answers 404."""
    repository = logic.get_repository(ctx.require_caller(), repository_id)
    return Reply(repository.public(), version=repository.version)


@api.route("/repositories/{repository_id}", "PATCH", summary="Change a repository", response=schemas.REPOSITORY,
           body=schemas.UPDATE_REPOSITORY, if_match=True, etag=True, errors=(403, 404, 409))
def update_repository(ctx: RequestContext, repository_id: str) -> Reply:
    """Stack managers and admins: name, barcode, environment targets, status (an inactive repository takes no
    new ranges)."""
    changes = ctx.json()
    repository = logic.update_repository(ctx.require_caller(), repository_id, changes,
                                         ctx.expected_version())
    return Reply(repository.public(), version=repository.version)


@api.route("/repositories/{repository_id}/locations", "GET",
           summary="List a repository's ranges, sections or shelves", response=schemas.LOCATION_PAGE,
           query=(*PAGE, schemas.KIND, schemas.WITHIN), errors=(403, 404))
def list_locations(ctx: RequestContext, repository_id: str) -> Reply:
    """In code order. `kind` picks the level (default `range`); `within` narrows to a range or section.
    Shelves carry their dimensions and occupancy (boxes, width and weight used and free, fill ratio, holdings
    by record form and producing unit)."""
    return page(*logic.list_locations(ctx.require_caller(), repository_id, ctx.query["kind"], ctx.query["within"],
                                      ctx.query["limit"], ctx.query["cursor"]))


@api.route("/repositories/{repository_id}/occupancy", "GET", summary="Occupancy report", response=schemas.OCCUPANCY,
           query=(schemas.REPORT_AS, schemas.RANGE), errors=(403, 404), formats=("csv", "svg"))
def occupancy_report(ctx: RequestContext, repository_id: str) -> Reply:
    """Figures per repository, range and section (JSON); one row per shelf with `format=csv` (or `Accept:
    text/csv`); a map of each range's shelves coloured by fill ratio with `format=svg` (or `Accept:
    image/svg+xml`). `range` narrows to one range."""
    fmt = negotiate(ctx.query["format"], ctx.header("accept"))
    report = logic.occupancy(ctx.require_caller(), repository_id, ctx.query["range"])
    if fmt == "csv":
        return file_reply(logic.occupancy_csv(report), "csv", filename=f"occupancy-{report['scope']}.csv")
    if fmt == "svg":
        return file_reply(logic.occupancy_svg(report), "svg")
    return Reply(logic.public_report(report))


@api.route("/repositories/{repository_id}/environment", "GET", summary="Environment readings of a repository",
           response=schemas.READING_PAGE, query=(*PAGE, schemas.FROM, schemas.TO, schemas.SENSOR_FILTER),
           errors=(403, 404))
def environment_readings(ctx: RequestContext, repository_id: str) -> Reply:
    """Temperature and humidity readings from the repository's sensors, oldest first, between `from` and `to`
    (ISO 8601; default the last 24 hours; at most 92 days), optionally of one sensor. Each reading lists the
    targets it broke."""
    return page(*logic.readings(ctx.require_caller(), repository_id, dict(ctx.query), ctx.query["limit"],
                                ctx.query["cursor"]))


# ------------------------------------------------------------------ locations
@api.route("/locations", "POST", summary="Create a range, section or shelf", response=schemas.LOCATION,
           status=201, body=schemas.CREATE_LOCATION, idempotent=True, etag=True, errors=(403, 404, 409))
def create_location(ctx: RequestContext) -> Reply:
    """Stack managers and admins. The location's code follows from its parent and number (range 3 of R01 is
    `R01-03`, its section 5 `R01-03-05`, that section's shelf 2 `R01-03-05-2`) and is its id. Shelves need a
    location profile. With `layout`, a range is created with its sections and their shelves (or a section with
    its shelves) in the same write, at most 96 locations; nothing is created if any already exists (409).

    Answers 201 with the location created, as `GET /locations/{id}` shows it (every create answers with the
    resource it made); the children a layout made are listed by `GET /repositories/{id}/locations?within=`."""
    location = logic.create_location(ctx.require_caller(), ctx.json())
    return Reply(location.public(), version=location.version, location=f"/locations/{location.id}")


@api.route("/locations/{location_id}", "GET", summary="Read a range, section or shelf", response=schemas.LOCATION,
           etag=True, errors=(403, 404))
def get_location(ctx: RequestContext, location_id: str) -> Reply:
    """A shelf includes its dimensions and occupancy."""
    location = logic.get_location(ctx.require_caller(), location_id)
    return Reply(location.public(), version=location.version)


@api.route("/locations/{location_id}", "PATCH", summary="Change a range, section or shelf",
           response=schemas.LOCATION, body=schemas.UPDATE_LOCATION, if_match=True, etag=True,
           errors=(403, 404, 409))
def update_location(ctx: RequestContext, location_id: str) -> Reply:
    """Stack managers and admins: name, barcode, status (an inactive shelf takes no boxes) and, for a shelf,
    its location profile (refused with 409 when the shelf holds more than the new dimensions allow)."""
    changes = ctx.json()
    location = logic.update_location(ctx.require_caller(), location_id, changes,
                                     ctx.expected_version())
    return Reply(location.public(), version=location.version)


@api.route("/locations/{location_id}/boxes", "GET", summary="Boxes on a shelf", response=schemas.BOX_PAGE,
           query=PAGE, errors=(403, 404))
def list_shelf_boxes(ctx: RequestContext, location_id: str) -> Reply:
    """The boxes whose home is this shelf, including those out on loan (see their status)."""
    return page(*logic.boxes_on_shelf(ctx.require_caller(), location_id, ctx.query["limit"], ctx.query["cursor"]))


@api.route("/locations/{location_id}/history", "GET", summary="A shelf's location history",
           response=schemas.HISTORY_PAGE, query=PAGE, errors=(403, 404))
def shelf_history(ctx: RequestContext, location_id: str) -> Reply:
    """Every box that arrived at or left this shelf: from, to, when, who and why; newest first."""
    return page(*logic.shelf_history(ctx.require_caller(), location_id, ctx.query["limit"], ctx.query["cursor"]))


# ------------------------------------------------------------------- profiles
@api.route("/location-profiles", "POST", summary="Create a location profile", response=schemas.LOCATION_PROFILE,
           status=201, body=schemas.CREATE_LOCATION_PROFILE, idempotent=True, etag=True, errors=(403, 409))
def create_location_profile(ctx: RequestContext) -> Reply:
    """Stack managers and admins: shelf width, height and depth (mm) and load limit (kg). Shelves copy the
    profile's dimensions when they are created or re-profiled."""
    profile = logic.create_location_profile(ctx.require_caller(), ctx.json(),
                                            ctx.header("idempotency-key"))
    return Reply(profile.public(), version=profile.version, location=f"/location-profiles/{profile.id}")


@api.route("/location-profiles", "GET", summary="List location profiles", response=schemas.LOCATION_PROFILE_PAGE,
           query=PAGE, errors=(403,))
def list_location_profiles(ctx: RequestContext) -> Reply:
    """The organisation's shelf profiles."""
    return page(*logic.list_profiles(ctx.require_caller(), "location", ctx.query["limit"], ctx.query["cursor"]))


@api.route("/location-profiles/{profile_id}", "GET", summary="Read a location profile",
           response=schemas.LOCATION_PROFILE, etag=True, errors=(403, 404))
def get_location_profile(ctx: RequestContext, profile_id: str) -> Reply:
    """Any staff role of the organisation."""
    profile = logic.get_profile(ctx.require_caller(), "location", profile_id)
    return Reply(profile.public(), version=profile.version)


@api.route("/location-profiles/{profile_id}", "PATCH", summary="Change a location profile",
           response=schemas.LOCATION_PROFILE, body=schemas.UPDATE_LOCATION_PROFILE, if_match=True, etag=True,
           errors=(403, 404))
def update_location_profile(ctx: RequestContext, profile_id: str) -> Reply:
    """Applies to shelves created or re-profiled afterwards; existing shelves keep their dimensions."""
    changes = ctx.json()
    profile = logic.update_profile(ctx.require_caller(), "location", profile_id, changes,
                                   ctx.expected_version())
    return Reply(profile.public(), version=profile.version)


@api.route("/container-profiles", "POST", summary="Create a container profile", response=schemas.CONTAINER_PROFILE,
           status=201, body=schemas.CREATE_CONTAINER_PROFILE, idempotent=True, etag=True, errors=(403, 409))
def create_container_profile(ctx: RequestContext) -> Reply:
    """Stack managers and admins: a kind of archival box (보존상자) — outer dimensions (mm), typical filled weight
    (kg) and how many may be stacked."""
    profile = logic.create_container_profile(ctx.require_caller(), ctx.json(),
                                             ctx.header("idempotency-key"))
    return Reply(profile.public(), version=profile.version, location=f"/container-profiles/{profile.id}")


@api.route("/container-profiles", "GET", summary="List container profiles", response=schemas.CONTAINER_PROFILE_PAGE,
           query=PAGE, errors=(403,))
def list_container_profiles(ctx: RequestContext) -> Reply:
    """The organisation's box profiles."""
    return page(*logic.list_profiles(ctx.require_caller(), "container", ctx.query["limit"], ctx.query["cursor"]))


@api.route("/container-profiles/{profile_id}", "GET", summary="Read a container profile",
           response=schemas.CONTAINER_PROFILE, etag=True, errors=(403, 404))
def get_container_profile(ctx: RequestContext, profile_id: str) -> Reply:
    """Any staff role of the organisation."""
    profile = logic.get_profile(ctx.require_caller(), "container", profile_id)
    return Reply(profile.public(), version=profile.version)


@api.route("/container-profiles/{profile_id}", "PATCH", summary="Change a container profile",
           response=schemas.CONTAINER_PROFILE, body=schemas.UPDATE_CONTAINER_PROFILE, if_match=True, etag=True,
           errors=(403, 404))
def update_container_profile(ctx: RequestContext, profile_id: str) -> Reply:
    """Applies to boxes registered afterwards; registered boxes keep their size."""
    changes = ctx.json()
    profile = logic.update_profile(ctx.require_caller(), "container", profile_id, changes,
                                   ctx.expected_version())
    return Reply(profile.public(), version=profile.version)


# ---------------------------------------------------------------------- boxes
@api.route("/boxes", "POST", summary="Register a box", response=schemas.BOX, status=201, body=schemas.REGISTER_BOX,
           idempotent=True, etag=True, errors=(403, 409, 422))
def register_box(ctx: RequestContext) -> Reply:
    """Stack managers and admins. The barcode (and RFID tag, if any) must be unused in the organisation, by
    boxes and locations alike (409). The box starts `unplaced`. `files` names the record files in it (ids
    of the records capability's files of your organisation; an id stacks does not know answers 422 naming
    it, and nothing is written); `contents` describes in free text what is not registered."""
    box = logic.register_box(ctx.require_caller(), ctx.json(), ctx.header("idempotency-key"))
    return Reply(logic.box_view(box), version=box.version, location=f"/boxes/{box.id}")


@api.route("/boxes", "GET", summary="List boxes, or find one by barcode or RFID tag", response=schemas.BOX_PAGE,
           query=(*PAGE, schemas.BOX_STATUS_FILTER, schemas.BARCODE_FILTER, schemas.RFID_FILTER), errors=(403,))
def list_boxes(ctx: RequestContext) -> Reply:
    """All boxes of the organisation (optionally of one `status`); with `barcode` or `rfid`, the single box
    that label names (a page of zero or one)."""
    return page(*logic.list_boxes(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"], ctx.query["status"],
                                  ctx.query["barcode"], ctx.query["rfid"]))


@api.route("/boxes/{box_id}", "GET", summary="Read a box", response=schemas.BOX, etag=True, errors=(403, 404))
def get_box(ctx: RequestContext, box_id: str) -> Reply:
    """Its status, home shelf and current location, and its record files (`record_files`: id, title and
    status, as stacks knows them from records' events)."""
    box = logic.get_box(ctx.require_caller(), box_id)
    return Reply(logic.box_view(box), version=box.version)


@api.route("/boxes/{box_id}", "PATCH", summary="Describe a box anew", response=schemas.BOX, body=schemas.UPDATE_BOX,
           if_match=True, etag=True, errors=(403, 404, 409, 422))
def update_box(ctx: RequestContext, box_id: str) -> Reply:
    """Stack managers and admins. A shelved box keeps its size and weight (they hold its space); changing its
    record form or producing unit regroups it in the shelf's holdings. `files` replaces the list of record
    files in the box (each must be known, as for registration)."""
    changes = ctx.json()
    box = logic.update_box(ctx.require_caller(), box_id, changes, ctx.expected_version())
    return Reply(logic.box_view(box), version=box.version)


@api.route("/boxes/{box_id}/placement", "PUT", summary="Place or move a box", response=schemas.PLACEMENT,
           body=schemas.PLACE_BOX, if_match=True, etag=True, errors=(403, 404, 409))
def place_box(ctx: RequestContext, box_id: str) -> Reply:
    """Stack managers and admins: puts an unplaced box on a shelf, moves a shelved one, or re-shelves a
    missing one. Refused with 409 (nothing written) when the shelf is full, overloaded, out of service or the
    box does not fit it. The same shelf again changes nothing (`unchanged`). Send `If-Match` with the box's
    ETag."""
    body = ctx.json()
    outcome, box = logic.place_box(ctx.require_caller(), box_id, body, ctx.expected_version())
    return Reply({"outcome": outcome, "box": box.public()}, version=box.version)


@api.route("/boxes/{box_id}/placement", "DELETE", summary="Take a box off the shelves", response=schemas.BOX,
           query=(schemas.REMOVAL_REASON,), if_match=True, etag=True, errors=(403, 404, 409))
def remove_box(ctx: RequestContext, box_id: str) -> Reply:
    """Stack managers and admins: frees the box's space on its home shelf (e.g. it leaves for a transfer); the
    box becomes `unplaced` (or stays `in_transfer`). Send `If-Match` with the box's ETag."""
    box = logic.remove_box(ctx.require_caller(), box_id, ctx.query["reason"], ctx.expected_version())
    return Reply(box.public(), version=box.version)


@api.route("/boxes/{box_id}/status", "POST", summary="Change a box's status by hand", response=schemas.BOX,
           body=schemas.CHANGE_BOX_STATUS, if_match=True, etag=True, errors=(403, 404, 409))
def change_box_status(ctx: RequestContext, box_id: str) -> Reply:
    """Stack managers and admins: report a shelved box `missing`, a missing one found (`shelved`), or start or
    cancel a transfer (`in_transfer`). Reservations and check-outs belong to the check-out saga. Send
    `If-Match` with the box's ETag."""
    body = ctx.json()
    box = logic.change_status(ctx.require_caller(), box_id, body, ctx.expected_version())
    return Reply(box.public(), version=box.version)


@api.route("/boxes/{box_id}/history", "GET", summary="A box's location history", response=schemas.HISTORY_PAGE,
           query=PAGE, errors=(403, 404))
def box_history(ctx: RequestContext, box_id: str) -> Reply:
    """Every move: from, to, when, who and why (placements, moves, removals, check-outs and returns); newest
    first."""
    return page(*logic.box_history(ctx.require_caller(), box_id, ctx.query["limit"], ctx.query["cursor"]))


@api.route("/placements/bulk", "POST", summary="Place or move many boxes (above 200: a job)",
           response=schemas.BULK_PLACEMENT_OR_JOB, also=(202,), body=schemas.BULK_PLACE, idempotent=True,
           errors=(403,), max_body=MAX_UPLOAD_BYTES)
def bulk_place(ctx: RequestContext) -> Reply:
    """Stack managers and admins. Up to 200 boxes are placed within the call (200), each reported in `results`
    (`placed`, `moved`, `found`, `unchanged` or `failed` with a problem); a full shelf fails only the boxes
    that do not fit. The boxes bound for one shelf are written together (a transaction per group of about
    20, redone box by box if the table refuses it), so 200 boxes take a few seconds. Should the function run
    short of time (an overloaded system), the boxes not yet attempted fail with 503 and the call still
    answers: send them again. More than 200 boxes (up to 20,000) answer 202 with a job placing them in the
    background, 40 at a time exactly as this call would; `GET /stacks/jobs/{job_id}` shows its progress and
    `/errors` each box refused. Bad input (a malformed code, a box listed twice) refuses the
    whole call before anything is written. With an `Idempotency-Key` a retry returns the first results (or
    the same job)."""
    remaining = getattr(ctx.lambda_context, "get_remaining_time_in_millis", None)
    outcome = logic.place_in_bulk(ctx.require_caller(), ctx.json(), remaining, ctx.header("idempotency-key"))
    if isinstance(outcome, Job):
        return Reply(outcome.public(), status=202, location=f"/stacks/jobs/{outcome.id}")
    return Reply(outcome)


# ---------------------------------------------------------------------- space
@api.route("/space", "GET", summary="Space calculator", response=schemas.SPACE,
           query=(schemas.LOCATION_FILTER, schemas.CONTAINER_PROFILE_FILTER), errors=(403, 404))
def space_calculator(ctx: RequestContext) -> Reply:
    """Free capacity of a repository, range, section or shelf (`location_id`) and of each of its children:
    shelves, boxes, width and weight used and free, fill ratio. With `container_profile_id`, how many boxes of
    that profile still fit (shelf by shelf)."""
    return Reply(logic.space(ctx.require_caller(), ctx.query["location_id"], ctx.query["container_profile_id"]))


@api.route("/space/suggestions", "GET", summary="Where should boxes go", response=schemas.SUGGESTIONS,
           query=(schemas.CONTAINER_PROFILE_FILTER, schemas.LIKE_BOX, schemas.HOW_MANY, schemas.RECORD_FORM_FILTER,
                  schemas.PRODUCING_UNIT_FILTER, schemas.REPOSITORY_FILTER), errors=(403, 404))
def placement_suggestions(ctx: RequestContext) -> Reply:
    """Shelves for `count` boxes of a container profile (or like `box_id`), following the arrangement scheme
    (Enforcement Decree art. 38②: by record form and producing unit): first shelves already holding the same
    record form and producing unit, then the nearest free space (same section, neighbouring sections, other
    ranges), then space near the producing unit's other boxes, else free space in shelf order. Each suggestion
    says how many fit and how many of the boxes it takes."""
    return Reply(logic.suggestions(ctx.require_caller(), dict(ctx.query)))


# -------------------------------------------------------------------- sensors
@api.route("/sensors", "POST", summary="Register a sensor", response=schemas.SENSOR, status=201,
           body=schemas.REGISTER_SENSOR, idempotent=True, etag=True, errors=(403, 409))
def register_sensor(ctx: RequestContext) -> Reply:
    """Stack managers and admins: binds a temperature/humidity sensor (its device id, unique across partners)
    to a repository and to the partner client its readings come through (the client's id: any of its keys)."""
    sensor = logic.register_sensor(ctx.require_caller(), ctx.json())
    return Reply(sensor.public(), version=sensor.version, location=f"/sensors/{sensor.id}")


@api.route("/sensors", "GET", summary="List sensors", response=schemas.SENSOR_PAGE,
           query=(*PAGE, schemas.REPOSITORY_FILTER), errors=(403,))
def list_sensors(ctx: RequestContext) -> Reply:
    """The organisation's sensors (optionally of one repository), with their last reading and current
    violations."""
    return page(*logic.list_sensors(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"],
                                    ctx.query["repository_id"]))


@api.route("/sensors/{sensor_id}", "GET", summary="Read a sensor", response=schemas.SENSOR, etag=True,
           errors=(403, 404))
def get_sensor(ctx: RequestContext, sensor_id: str) -> Reply:
    """Any staff role of the organisation."""
    sensor = logic.get_sensor(ctx.require_caller(), sensor_id)
    return Reply(sensor.public(), version=sensor.version)


@api.route("/sensors/{sensor_id}", "PATCH", summary="Change a sensor", response=schemas.SENSOR,
           body=schemas.UPDATE_SENSOR, if_match=True, etag=True, errors=(403, 404, 409))
def update_sensor(ctx: RequestContext, sensor_id: str) -> Reply:
    """Stack managers and admins: move it to another repository, bind it to another partner client, rename or
    retire it (a retired sensor's readings are refused)."""
    changes = ctx.json()
    sensor = logic.update_sensor(ctx.require_caller(), sensor_id, changes, ctx.expected_version())
    return Reply(sensor.public(), version=sensor.version)


@api.route("/environment/readings", "POST", summary="Post environment readings", response=schemas.READINGS_ACCEPTED,
           body=schemas.POST_READINGS, partner="environment:write", idempotent=True, errors=(403, 404))
def post_readings(ctx: RequestContext) -> Reply:
    """For sensor gateways (partner key, scope `environment:write`): up to 500 readings per call, each of a
    registered sensor bound to this partner client. A sensor that is not registered answers 404, one bound to
    another client or retired 403, and
    then nothing of the call is stored. A reading that breaks its repository's targets raises
    EnvironmentOutOfRange (once, when the sensor leaves the range), one that returns within them
    EnvironmentBackInRange; `changes` lists them. Retries store nothing twice."""
    body = ctx.json()
    return Reply(logic.record_readings(ctx.require_partner(), body))


# ----------------------------------------------------------------------- bulk
@api.route("/boxes/bulk", "POST", summary="Register many boxes (a job)", response=schemas.JOB, status=202,
           body=schemas.BULK_REGISTER_BOXES, body_formats=("csv",), idempotent=True, errors=(403,))
def bulk_register_boxes(ctx: RequestContext) -> Reply:
    """Stack managers and admins: up to 20,000 boxes as `text/csv` (a header row naming the fields of `POST
    /boxes`; `contents` and `files` items separated by `|`) or JSON (`{"rows": [...]}`). Answers 202 with a
    job at once; `GET /stacks/jobs/{job_id}` shows its progress and `/errors` each refused row. Every row is registered
    with the rules of `POST /boxes`, all or nothing (box, label claims and event together); a refused row
    (bad field, unknown profile, barcode or RFID tag in use, also by an earlier row) does not stop the
    others. With an `Idempotency-Key` a retry answers the same job."""
    caller = ctx.require_caller()
    job = logic.submit_registration(caller, ctx.rows(), from_csv=ctx.media_type() == "text/csv",
                                    idempotency_key=ctx.header("idempotency-key"))
    return Reply(job.public(), location=f"/stacks/jobs/{job.id}")


@api.route("/stacks/jobs", "GET", summary="List stacks' jobs", response=schemas.JOB_PAGE, query=PAGE, errors=(403,))
def list_stacks_jobs(ctx: RequestContext) -> Reply:
    """The organisation's bulk jobs, newest first."""
    return page(*logic.list_jobs(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"]))


@api.route("/stacks/jobs/{job_id}", "GET", summary="Read a job's progress", response=schemas.JOB,
           errors=(403, 404))
def get_stacks_job(ctx: RequestContext, job_id: str) -> Reply:
    """`status` queued → running → completed (refused rows are counted in `failed`) | failed (the job itself
    could not run: `detail` says why); `done`, `succeeded`, `failed` and `percent` of `total` rows."""
    return Reply(logic.get_job(ctx.require_caller(), job_id).public())


@api.route("/stacks/jobs/{job_id}/errors", "GET", summary="A job's refused rows", response=schemas.ROW_ERROR_PAGE,
           query=PAGE, errors=(403, 404))
def stacks_job_errors(ctx: RequestContext, job_id: str) -> Reply:
    """Each refused row: its number (1-based; in CSV the header is row 0), the problem's `detail` and
    `errors[]` naming the fields, in row order."""
    return page(*logic.job_errors(ctx.require_caller(), job_id, ctx.query["limit"], ctx.query["cursor"]),
)


handler = api.lambda_handler()
