"""moto, made to cost per call what AWS charges per call: work it repeats on every request, undone.

Profiled under a bulk placement (py-spy, see bench/README.md "Event delivery"), the local
system's own process spent its time in moto doing work that grows with a queue's depth or
that never changes, while events waited:
- SQS: every message received looked the queue's retention period up through
  `get_queue_attributes`, which counts the queue's visible, delayed and in-flight messages
  each time — three walks of the whole queue per message, so draining a backlog of N
  messages cost O(N²). The retention period is read directly instead.
- SQS: whether a message is visible or delayed was asked of a fresh timezone-aware datetime
  per message; epoch milliseconds from `time.time()` are the same figure for a fraction of
  the cost (every count and every receive walks the messages).
- EventBridge: each event delivered to a target compiled its JSONPath input paths anew
  (a parser generator run per event and target); the compiled paths are kept.
- Every request found its backend by listing moto's package folder on disk, under a lock
  all requests share; the listing is made once.

Nothing here changes what an answer says. `install()` is idempotent and called once at start,
before the moto server serves.
"""
from __future__ import annotations

import functools
import time

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    _sqs()
    _events()
    _dispatch()


def _sqs() -> None:
    from moto.sqs import models

    def is_message_valid_based_on_retention_period(self, queue_name: str, message) -> bool:
        retention_s = int(self.get_queue(queue_name).message_retention_period)
        return retention_s + message.sent_timestamp / 1000 > time.time()

    models.SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period
    models.Message.visible = property(lambda self: time.time() * 1000 > self.visible_at)
    models.Message.delayed = property(lambda self: time.time() * 1000 < self.delayed_until)


def _events() -> None:
    import jsonpath_ng.ext

    compiled = functools.lru_cache(maxsize=256)(jsonpath_ng.ext.parse)
    jsonpath_ng.ext.parse = compiled  # moto.events.utils imports it inside the call, from the module


def _dispatch() -> None:
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
