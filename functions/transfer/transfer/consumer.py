"""Transfer's consumer of other capabilities' events: records' file events (status, retention, custody, access
reviews), disposal's holds, identity's organisations. Each event is applied once (a receipt of its id, written
with its effect)."""
from __future__ import annotations

from shared.consumers import event_consumer

from . import logic

handler = event_consumer(logic.record_event, "event applied to transfer's read models")
