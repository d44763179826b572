"""Records' use cases, as the HTTP layer (app.py), the task handler (tasks.py) and the event consumer
(consumer.py) call them. Functions take the caller and plain data, return domain objects or plain
dicts, and know nothing of HTTP.

Each concern lives in its own module under `logic/`: files (filing, describing, closing, retention),
classes (the classes to file under), feeds (classification's and stacks' events into read models);
common holds the events and subjects they share.
"""
from __future__ import annotations

from .classes import list_classes
from .feeds import record_event
from .files import (close_file, create_file, get_file, list_files, new_file, override_retention, reapply_rule,
                    update_file)

__all__ = [
    "list_classes", "record_event", "close_file", "create_file", "get_file", "list_files", "new_file",
    "override_retention", "reapply_rule", "update_file",
]
