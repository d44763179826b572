"""Storage-environment targets and readings (보존환경).

A repository's targets are ranges per medium, e.g.
    {"paper": {"temperature_c": {"min": 18, "max": 22}, "humidity_pct": {"min": 40, "max": 55}}}
A reading is checked against every medium the repository has targets for; each broken
bound is a violation named `<medium>.<measure>.<above|below>`. Sensors remember their
current violations, so the capability reports *changes*: a reading that adds a violation
raises EnvironmentOutOfRange, a reading that clears the last one raises
EnvironmentBackInRange, and a sensor that stays out of range does not flood the bus.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

MEDIA = ("paper", "photo_film", "magnetic")
MEASURES = ("temperature_c", "humidity_pct")
# What a storage sensor can honestly resolve; also keeps values inside DynamoDB's number range.
PRECISION = {"temperature_c": 2, "humidity_pct": 1}


class InvalidTargets(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_targets(targets: dict[str, Any]) -> dict[str, Any]:
    """Every range must have min < max; returns the targets unchanged."""
    for medium, measures in targets.items():
        for measure, bounds in measures.items():
            if bounds["min"] >= bounds["max"]:
                raise InvalidTargets(f"environment_targets.{medium}.{measure}",
                                     f"{medium} {measure}: min must be below max")
    return targets


def quantise(value: float | None, measure: str) -> float | None:
    """A reading as stored: rounded to the sensor precision of its measure (0.01 °C, 0.1 %RH)."""
    return None if value is None else round(float(value), PRECISION[measure]) + 0.0  # + 0.0: no -0.0


def violations(targets: dict[str, Any], temperature_c: float | None, humidity_pct: float | None) -> tuple[str, ...]:
    values = {"temperature_c": temperature_c, "humidity_pct": humidity_pct}
    found = []
    for medium in MEDIA:
        for measure in MEASURES:
            bounds = (targets.get(medium) or {}).get(measure)
            value = values[measure]
            if bounds is None or value is None:
                continue
            if value > bounds["max"]:
                found.append(f"{medium}.{measure}.above")
            elif value < bounds["min"]:
                found.append(f"{medium}.{measure}.below")
    return tuple(found)


def change(previous: Iterable[str], current: Iterable[str]) -> str | None:
    """The event a new reading causes, given the sensor's previous violations."""
    before, now = set(previous), set(current)
    if now - before:
        return "EnvironmentOutOfRange"
    if before and not now:
        return "EnvironmentBackInRange"
    return None


def normalise_time(text: str) -> str:
    """ISO 8601 with a zone → UTC, milliseconds, 'Z' (so readings sort as text)."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("a time zone is required")
    return parsed.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(normalise_time(text).replace("Z", "+00:00"))
