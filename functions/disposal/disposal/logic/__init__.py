"""Disposal's use cases, as the HTTP layer (app.py), the scheduled jobs (tasks.py) and the event consumer
(consumer.py) call them. Functions take the caller and plain data, return domain objects, know nothing of HTTP.

Each concern lives in its own module: feeds (records' file events into the read model), holds (place, lift,
"why can't this be destroyed?"), reviews (review lists: the daily job and lists by hand), steps (the three
steps on each listed file), committee (members and meetings), runs (destruction runs as the routes see them:
settings, asking, reading, cancelling, the certificate and the register), destruction (the destruction
saga's steps and its reconcile job); common holds the events and subjects.
"""
from __future__ import annotations

from . import destruction
from .committee import add_member, get_meeting, get_member, list_meetings, list_members, record_meeting, update_member
from .feeds import record_event
from .holds import file_holds, get_hold, lift_hold, list_holds, place_hold
from .runs import (cancel_run, certificate, certificate_pdf, get_run, get_settings, list_run_files, list_runs,
                   put_settings, register, register_csv, start_run)
from .reviews import build_review_lists, create_list, get_entry, get_list, list_entries, list_lists
from .steps import give_opinion, give_review, record_decision

__all__ = [
    "add_member", "get_meeting", "get_member", "list_meetings", "list_members", "record_meeting", "update_member",
    "record_event", "file_holds", "get_hold", "lift_hold", "list_holds", "place_hold", "build_review_lists",
    "create_list", "get_entry", "get_list", "list_entries", "list_lists", "give_opinion", "give_review",
    "record_decision", "destruction", "cancel_run", "certificate", "certificate_pdf", "get_run", "get_settings",
    "list_run_files", "list_runs", "put_settings", "register", "register_csv", "start_run",
]
