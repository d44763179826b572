"""Transfer's use cases, as the HTTP layer (app.py), the saga steps and jobs (tasks.py) and the event consumer
(consumer.py) call them. Functions take the caller and plain data, return domain objects, know nothing of HTTP.

Each concern lives in its own module: feeds (other capabilities' events into the read models), transfers
(drafting, sending, inspection, acceptance, reads), exports (a bag of any selection), due (the daily due lists), steps (the sagas' steps),
reconcile (the job that drives transfers whose saga stopped to an end),
bagging (the bag's tag files and its verification); common holds the events and subjects.
"""
from __future__ import annotations

from .bagging import finish_bag, verify_at_intake, verify_bag
from .due import build_due_lists, list_due
from .exports import create_export, finish_export, get_export
from .feeds import record_event
from .reconcile import reconcile_transfers
from .steps import (accept_failed, begin_accept, fail_transfer, finish_accept, finish_rejected, page, page_boxes,
                    pages, prepare, record_entries, record_page, record_received)
from .transfers import accept, cancel, create_transfer, get_transfer, inspect, list_files, list_transfers, send

__all__ = [
    "finish_bag", "verify_at_intake", "verify_bag", "create_export", "finish_export", "get_export", "build_due_lists", "list_due", "record_event", "reconcile_transfers", "accept_failed", "begin_accept",
    "fail_transfer", "finish_accept", "finish_rejected", "page", "page_boxes", "pages", "prepare", "record_entries",
    "record_page", "record_received", "accept", "cancel", "create_transfer", "get_transfer", "inspect",
    "list_files", "list_transfers", "send",
]
