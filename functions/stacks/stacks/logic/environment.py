"""Sensors and environment readings (보존환경).

Partners (sensor gateways) post readings with an API key of their partner client; the
partner authorizer has checked the key and says which client and organisation it belongs to.
A sensor must have been registered by a stack manager of its organisation, bound to one
repository and one partner client: readings from an unregistered sensor (or another
organisation's) answer 404, from a client the sensor is not bound to (or a retired sensor)
403, and nothing of such a call is stored.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from shared.auth import Caller, Partner, require_found
from shared.concurrency import stale
from shared.events import Subject, now_iso, system_actor
from shared.problems import Conflict, Forbidden, NotFound, ValidationFailed

from ..data import environment as store
from ..data import locations as location_store
from ..domain import environment as env
from ..domain.model import Reading, Sensor
from ..domain.rules import manager_org, reader_org
from .common import code_field, code_path, event

MAX_PERIOD = timedelta(days=92)
DEFAULT_PERIOD = timedelta(hours=24)
MAX_FUTURE = timedelta(minutes=5)
MAX_AGE = timedelta(days=31)  # a gateway's backlog older than this is refused


def _subjects(sensor: Sensor) -> list[Subject]:
    return [Subject("sensor", sensor.id, sensor.org_id), Subject("repository", sensor.repository_id, sensor.org_id)]


def _repository_field(org_id: str, repository_id: str):
    code = code_field(repository_id, "repository_id", "repository")
    repository = location_store.get_repository(org_id, code.repository)
    if repository is None:
        raise ValidationFailed(f"repository_id: no repository {code} in your organisation.",
                               errors=[{"field": "repository_id", "message": "not found"}])
    return repository


def register_sensor(caller: Caller, body: dict[str, Any]) -> Sensor:
    org_id = manager_org(caller)
    repository = _repository_field(org_id, body["repository_id"])
    stamp = now_iso()
    sensor = Sensor(org_id=org_id, id=body["sensor_id"], repository_id=repository.id,
                    partner_client_id=body["partner_client_id"], name=(body.get("name") or "").strip() or None, created_at=stamp, updated_at=stamp)
    if store.sensor_binding(sensor.id) is not None:
        raise Conflict(f"A sensor {sensor.id} is already registered.",
                       errors=[{"field": "sensor_id", "message": "already registered"}])
    store.create_sensor(sensor, event("SensorRegistered", _subjects(sensor), sensor.public(), caller.as_actor()))
    return sensor


def list_sensors(caller: Caller, limit: int, cursor: str | None, repository_id: str | None):
    org_id = reader_org(caller)
    if repository_id:
        repository_id = str(code_field(repository_id, "repository_id", "repository"))
    return store.list_sensors(org_id, limit, cursor, repository_id)


def get_sensor(caller: Caller, sensor_id: str) -> Sensor:
    return require_found(store.get_sensor(reader_org(caller), sensor_id), "sensor")


def update_sensor(caller: Caller, sensor_id: str, changes: dict[str, Any], expected_version: int) -> Sensor:
    org_id = manager_org(caller)
    before = require_found(store.get_sensor(org_id, sensor_id), "sensor")
    if before.version != expected_version:
        raise stale("sensor")
    fields: dict[str, Any] = {}
    if "repository_id" in changes:
        fields["repository_id"] = _repository_field(org_id, changes["repository_id"]).id
        if fields["repository_id"] != before.repository_id:
            fields["violations"] = ()
    if "partner_client_id" in changes:
        fields["partner_client_id"] = changes["partner_client_id"]
    if "status" in changes:
        fields["status"] = changes["status"]
    if "name" in changes:
        fields["name"] = (changes["name"] or "").strip() or None
    after = before.with_changes(**fields, version=before.version + 1, updated_at=now_iso())
    store.update_sensor(after, before, event("SensorUpdated", _subjects(after) + (
        [Subject("repository", before.repository_id, org_id)] if after.repository_id != before.repository_id else []),
        {"changes": {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()}, "sensor": after.public()},
        caller.as_actor()))
    return after


# ------------------------------------------------------------ partner readings
def record_readings(partner: Partner, body: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """Store a batch of readings; report the changes of state they caused. All or nothing on refusal."""
    now = now or datetime.now(timezone.utc)
    parsed = []
    for index, raw in enumerate(body["readings"]):
        try:
            at = env.parse_time(raw["at"])
        except ValueError:
            raise ValidationFailed(f"readings[{index}].at: not an ISO 8601 time with a zone.",
                                   errors=[{"field": f"readings.{index}.at", "message": "invalid date-time"}]) from None
        if at > now + MAX_FUTURE or at < now - MAX_AGE:
            raise ValidationFailed(f"readings[{index}].at: readings are accepted from up to {MAX_AGE.days} days ago "
                                   "until now.", errors=[{"field": f"readings.{index}.at", "message": "out of window"}])
        parsed.append((raw, env.normalise_time(raw["at"])))
    bindings: dict[str, dict[str, str]] = {}
    for sensor_id in sorted({raw["sensor_id"] for raw, _ in parsed}):
        binding = store.sensor_binding(sensor_id)
        if binding is None or binding["org_id"] != partner.org_id:
            raise NotFound(f"No sensor {sensor_id} is registered; a stack manager registers it first.",
                           errors=[{"field": "sensor_id", "message": f"{sensor_id} not registered"}])
        if binding["partner_client_id"] != partner.client_id:
            raise Forbidden(f"Sensor {sensor_id} does not post through this partner client.",
                            errors=[{"field": "sensor_id", "message": f"{sensor_id} not bound to this client"}])
        if binding["status"] != "active":
            raise Forbidden(f"Sensor {sensor_id} is retired.",
                            errors=[{"field": "sensor_id", "message": f"{sensor_id} retired"}])
        bindings[sensor_id] = binding
    targets: dict[tuple[str, str], dict[str, Any]] = {}
    for binding in bindings.values():
        key = (binding["org_id"], binding["repository_id"])
        if key not in targets:
            repository = location_store.get_repository(*key)
            targets[key] = repository.environment_targets if repository else {}
    by_sensor: dict[str, list[Reading]] = defaultdict(list)
    for raw, at in parsed:
        binding = bindings[raw["sensor_id"]]
        goals = targets[(binding["org_id"], binding["repository_id"])]
        by_sensor[raw["sensor_id"]].append(Reading(
            sensor_id=raw["sensor_id"], repository_id=binding["repository_id"], at=at,
            temperature_c=env.quantise(raw.get("temperature_c"), "temperature_c"),
            humidity_pct=env.quantise(raw.get("humidity_pct"), "humidity_pct"),
            violations=env.violations(goals, raw.get("temperature_c"), raw.get("humidity_pct"))))
    changes = []
    for sensor_id, series in by_sensor.items():
        changes += _apply(bindings[sensor_id], targets[(bindings[sensor_id]["org_id"],
                                                        bindings[sensor_id]["repository_id"])], series)
    return {"accepted": len(parsed), "changes": changes}


def _apply(binding: dict[str, str], targets: dict[str, Any], series: list[Reading]) -> list[dict[str, Any]]:
    """Walk one sensor's readings in time order from its stored state; each change of violations is
    written with its event, the rest in batches; then the sensor notes its latest reading."""
    org_id = binding["org_id"]
    sensor = store.get_sensor(org_id, series[0].sensor_id, consistent=True)
    series = sorted({r.at: r for r in series}.values(), key=lambda r: r.at)  # one reading per instant
    state = sensor.violations if sensor else ()
    last_seen = sensor.last_reading_at if sensor else None
    plain: list[Reading] = []
    changes = []
    for reading in series:
        if last_seen is not None and reading.at <= last_seen:
            plain.append(reading)  # late or replayed: kept in the series, no effect on the state
            continue
        kind = env.change(state, reading.violations)
        if kind is None:
            plain.append(reading)
        else:
            payload = {"sensor_id": reading.sensor_id, "repository_id": reading.repository_id,
                       "reading": reading.public(), "violations": list(reading.violations),
                       "previous_violations": list(state), "targets": targets}
            subjects = [Subject("sensor", reading.sensor_id, org_id),
                        Subject("repository", reading.repository_id, org_id)]
            if store.record_change(org_id, reading, reading.violations,
                                   event(kind, subjects, payload,
                                         system_actor(org_id, partner_client_id=binding["partner_client_id"]))):
                changes.append({"event": kind, "sensor_id": reading.sensor_id, "at": reading.at,
                                "violations": list(reading.violations)})
        state = reading.violations
        last_seen = reading.at
    store.put_readings(org_id, plain)
    newest = series[-1]
    if sensor is None or sensor.last_reading_at is None or newest.at > sensor.last_reading_at:
        store.advance_sensor(org_id, newest, state)
    return changes


def readings(caller: Caller, repository_id: str, params: dict[str, Any], limit: int, cursor: str | None,
             now: datetime | None = None):
    org_id = reader_org(caller)
    code = code_path(repository_id)
    if code is None or code.kind != "repository" or location_store.get_repository(org_id, code.repository) is None:
        raise NotFound("No repository with that id in your organisation.")
    now = now or datetime.now(timezone.utc)
    end = _time_param(params, "to") or now
    start = _time_param(params, "from") or end - DEFAULT_PERIOD
    if start > end:
        raise ValidationFailed("from must not be after to.", errors=[{"field": "from", "message": "after to"}])
    if end - start > MAX_PERIOD:
        raise ValidationFailed(f"A period spans at most {MAX_PERIOD.days} days; page through shorter ones.",
                               errors=[{"field": "from", "message": "period too long"}])
    days = []
    day = start.date()
    while day <= end.date():
        days.append(day.isoformat())
        day += timedelta(days=1)
    iso = lambda t: t.isoformat(timespec="milliseconds").replace("+00:00", "Z")  # noqa: E731
    return store.readings(org_id, code.repository, days, iso(start), iso(end), limit, cursor, params.get("sensor_id"))


def _time_param(params: dict[str, Any], name: str) -> datetime | None:
    if not params.get(name):
        return None
    try:
        return env.parse_time(params[name])
    except ValueError:
        raise ValidationFailed(f"{name}: not an ISO 8601 time with a zone (e.g. 2025-01-31T09:00:00Z).",
                               errors=[{"field": name, "message": "invalid date-time"}]) from None
