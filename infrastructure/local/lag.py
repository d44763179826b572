"""How far behind each consumer of events is: health's `read_models` and `streams`.

Lag is measured where events wait, as CloudWatch measures it in AWS:
- **streams** (the outbox relay, or any function on a table's stream): records of the table's
  stream that passed the event source's filter and are not handled yet, and the age of the
  oldest (IteratorAge). One entry per table, named by its logical id.
- **read_models** (every queue consumer: circulation's box facts, inventory's holdings, audit's
  chains): the messages in its queue not yet handled (visible or in flight) and the age of the
  oldest (ApproximateAgeOfOldestMessage). One entry per consuming function.

An event reaches a read model after both, so its staleness is at most the relay's lag plus its
queue's. Health says `degraded` while any oldest age passes `max_lag_s` (`--max-lag`, 60 s by
default, the threshold of the template's alarms).
"""
from __future__ import annotations

import os
from typing import Any

from .pollers import EventSource, QueuePoller, StreamPoller
from .queues import Queues
from .template import Template

DEFAULT_MAX_LAG_SECONDS = float(os.environ.get("LOCAL_MAX_LAG_SECONDS", "60"))


class Lag:
    def __init__(self, template: Template, queues: Queues, pollers: list[EventSource],
                 max_lag_s: float = DEFAULT_MAX_LAG_SECONDS) -> None:
        self.queues = queues
        self.pollers = {p.key: p for p in pollers}
        self.max_lag_s = max_lag_s
        self._tables = {}  # stream arn -> table logical id
        for logical in template.of_type("AWS::DynamoDB::Table"):
            try:
                self._tables[template.get_att(logical, "StreamArn")] = logical
            except KeyError:
                continue  # a table without a stream

    def event_sources(self) -> dict[str, dict[str, Any]]:
        return {key: {"function": p.source.function, "enabled": p.enabled} for key, p in self.pollers.items()}

    def set_enabled(self, key: str, enabled: bool) -> bool | None:
        """None: no such event source; False: switched off, but a batch was still in flight at the deadline."""
        poller = self.pollers.get(key)
        return None if poller is None else poller.set_enabled(enabled)

    def report(self, depths: dict[str, dict[str, Any]]) -> dict[str, Any]:
        streams: dict[str, Any] = {}
        read_models: dict[str, Any] = {}
        for poller in self.pollers.values():
            if isinstance(poller, StreamPoller):
                table = self._tables.get(poller.source.stream_arn, poller.source.stream_arn)
                key = table if table not in streams else f"{table} -> {poller.key}"
                streams[key] = poller.backlog()
            elif isinstance(poller, QueuePoller):
                queue = self.queues.logical_of.get(poller.source.queue_arn, poller.source.queue_arn)
                depth = depths.get(queue) or {}
                function = poller.source.function
                key = function if function not in read_models else poller.key
                read_models[key] = {"queue": queue, "event_source": poller.key, "enabled": poller.enabled,
                                    "waiting": depth.get("messages", 0) + depth.get("in_flight", 0),
                                    "oldest_age_s": depth.get("oldest_age_s")}
        lagging = sorted(name for name, entry in (*streams.items(), *read_models.items())
                         if (entry["oldest_age_s"] or 0) > self.max_lag_s)
        return {"max_lag_s": self.max_lag_s, "lagging": lagging, "streams": streams, "read_models": read_models}
