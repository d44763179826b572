"""Sensors and the environment time series in the stacks table.

Readings are a time series keyed per repository and day (pk) and time + sensor (sk):
writing the same reading twice writes the same item, so partner retries are harmless.
A reading that changes a sensor's violations is written in one transaction with the
sensor's new state and the event, conditional on the sensor not having seen a later
reading — so a replayed or late reading never raises the event twice.
"""
from __future__ import annotations

import os
from datetime import datetime
from typing import Any, Iterable

from pynamodb.exceptions import DoesNotExist, PynamoDBException

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.pagination import decode_cursor, encode_cursor, typed_key
from shared.problems import Conflict, InvalidCursor, ServiceUnavailable

from ..domain.model import Reading, Sensor
from .tables import (ReadingItem, RepositoryItem, SensorClaimItem, SensorItem, org_key, readings_key, repository_sort_key,
                     sensor_claim_key, sensor_key)
from .tx import Tx, page, read

RETENTION_DAYS = int(os.environ.get("READINGS_RETENTION_DAYS", "1096"))  # three years, then TTL removes them


def _claim_item(sensor: Sensor) -> SensorClaimItem:
    return SensorClaimItem(pk=sensor_claim_key(sensor.id), sk="SENSOR", org_id=sensor.org_id,
                           repository_id=sensor.repository_id, partner_client_id=sensor.partner_client_id, status=sensor.status)


def get_sensor(org_id: str, sensor_id: str, consistent: bool = False) -> Sensor | None:
    try:
        return read(SensorItem.get, org_key(org_id), sensor_key(sensor_id), consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def list_sensors(org_id: str, limit: int, cursor: str | None, repository_id: str | None):
    return page(SensorItem, org_key(org_id), sensor_key(""), limit, cursor,
                filter_condition=(SensorItem.repository_id == repository_id) if repository_id else None)


def sensor_binding(sensor_id: str) -> dict[str, str] | None:
    """Which organisation, repository and partner key a sensor id belongs to (partner route)."""
    try:
        claim = read(SensorClaimItem.get, sensor_claim_key(sensor_id), "SENSOR")
    except DoesNotExist:
        return None
    return {"org_id": claim.org_id, "repository_id": claim.repository_id, "partner_client_id": claim.partner_client_id,
            "status": claim.status}


def create_sensor(sensor: Sensor, event: DomainEvent) -> None:
    taken = Conflict(f"A sensor {sensor.id} is already registered.", errors=[{"field": "sensor_id",
                                                                              "message": "already registered"}])
    (Tx().check(RepositoryItem, org_key(sensor.org_id), repository_sort_key(sensor.repository_id), RepositoryItem.pk.exists(),
                on_fail=Conflict(f"No repository {sensor.repository_id} in your organisation."))
     .put(SensorItem.of(sensor), condition=SensorItem.pk.does_not_exist(), on_fail=taken)
     .put(_claim_item(sensor), condition=SensorClaimItem.pk.does_not_exist(), on_fail=taken)
     .event(event).run())


def update_sensor(sensor: Sensor, before: Sensor, event: DomainEvent) -> None:
    actions = [SensorItem.repository_id.set(sensor.repository_id), SensorItem.partner_client_id.set(sensor.partner_client_id),
               SensorItem.status.set(sensor.status), SensorItem.version.set(sensor.version),
               SensorItem.updated_at.set(sensor.updated_at),
               SensorItem.name.set(sensor.name) if sensor.name else SensorItem.name.remove()]
    if sensor.repository_id != before.repository_id:  # new room, new targets: start from a clean state
        actions.append(SensorItem.violations.remove())
    tx = Tx().update(SensorItem(pk=org_key(sensor.org_id), sk=sensor_key(sensor.id)), actions,
                     condition=SensorItem.version == before.version, on_fail=stale("sensor"))
    if sensor.repository_id != before.repository_id:
        tx.check(RepositoryItem, org_key(sensor.org_id), repository_sort_key(sensor.repository_id), RepositoryItem.pk.exists(),
                 on_fail=Conflict(f"No repository {sensor.repository_id} in your organisation."))
    tx.put(_claim_item(sensor), condition=SensorClaimItem.org_id == sensor.org_id)
    tx.event(event).run()


# ------------------------------------------------------------------- readings
def _day(at: str) -> str:
    return at[:10]


def _reading_item(org_id: str, reading: Reading) -> ReadingItem:
    expires = int(datetime.fromisoformat(reading.at.replace("Z", "+00:00")).timestamp()) + RETENTION_DAYS * 86400
    return ReadingItem.of(reading, pk=readings_key(org_id, reading.repository_id, _day(reading.at)),
                          sk=f"{reading.at}#{reading.sensor_id}", expiration=expires)


def put_readings(org_id: str, readings: Iterable[Reading]) -> None:
    try:
        with ReadingItem.batch_write() as batch:
            for reading in readings:
                batch.save(_reading_item(org_id, reading))
    except PynamoDBException as exc:
        raise ServiceUnavailable("The stacks store is busy; retry the readings shortly.") from exc


def _later_than(at: str):
    return SensorItem.pk.exists() & (SensorItem.last_reading_at.does_not_exist() | (SensorItem.last_reading_at < at))


def _state_actions(reading: Reading, violations: tuple[str, ...]) -> list[Any]:
    actions = [SensorItem.last_reading_at.set(reading.at),
               SensorItem.violations.set(list(violations)) if violations else SensorItem.violations.remove()]
    if reading.temperature_c is not None:
        actions.append(SensorItem.last_temperature_c.set(reading.temperature_c))
    if reading.humidity_pct is not None:
        actions.append(SensorItem.last_humidity_pct.set(reading.humidity_pct))
    return actions


class Superseded(Exception):
    """The sensor has already seen a later reading."""


def record_change(org_id: str, reading: Reading, violations: tuple[str, ...], event: DomainEvent) -> bool:
    """Store a reading that changes the sensor's violations, its new state and the event, together.
    False when the sensor has meanwhile seen a later reading (then nothing but the reading is kept)."""
    tx = (Tx().put(_reading_item(org_id, reading))
          .update(SensorItem(pk=org_key(org_id), sk=sensor_key(reading.sensor_id)), _state_actions(reading, violations),
                  condition=_later_than(reading.at), on_fail=Superseded())
          .event(event))
    try:
        tx.run()
        return True
    except Superseded:
        put_readings(org_id, [reading])
        return False


def advance_sensor(org_id: str, reading: Reading, violations: tuple[str, ...]) -> None:
    """Note the latest reading on the sensor (no event), unless a later one is already noted."""
    try:
        Tx().update(SensorItem(pk=org_key(org_id), sk=sensor_key(reading.sensor_id)), _state_actions(reading, violations),
                    condition=_later_than(reading.at), on_fail=Superseded()).run()
    except Superseded:
        pass


def readings(org_id: str, repository_id: str, days: list[str], start: str, end: str, limit: int,
             cursor: str | None, sensor_id: str | None) -> tuple[list[Reading], str | None]:
    """Readings from `start` to `end` (inclusive, ISO text), oldest first, across day partitions."""
    first = 0
    start_key = None
    if cursor:
        key = decode_cursor(cursor, expected={}, keys={"pk", "sk"})
        partitions = [readings_key(org_id, repository_id, d) for d in days]
        if key["pk"] not in partitions:
            raise InvalidCursor("The cursor belongs to another listing.")
        first, start_key = partitions.index(key["pk"]), typed_key(key)
    found: list[Reading] = []
    for index in range(first, len(days)):
        remaining = limit - len(found)
        result = ReadingItem.query(readings_key(org_id, repository_id, days[index]),
                                   ReadingItem.sk.between(start, end + "~"), limit=remaining,
                                   last_evaluated_key=start_key if index == first else None,
                                   filter_condition=(ReadingItem.sensor_id == sensor_id) if sensor_id else None)
        found += read(lambda: [i.entity() for i in result])
        if len(found) >= limit:
            last = found[-1]
            # A page that ends exactly where a day ends has no LastEvaluatedKey; the last item's key
            # (a real key) resumes after it, and the next call moves on to the following day.
            key = result.last_evaluated_key or {
                "pk": readings_key(org_id, repository_id, _day(last.at)), "sk": f"{last.at}#{last.sensor_id}"}
            more = result.last_evaluated_key is not None or index < len(days) - 1
            return found, encode_cursor(key) if more else None
    return found, None

