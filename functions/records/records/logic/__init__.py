"""Records' use cases, as the HTTP layer (app.py), the task handler (tasks.py) and the event consumer
(consumer.py) call them. Functions take the caller and plain data, return domain objects or plain
dicts, and know nothing of HTTP.

Each concern lives in its own module under `logic/`: files (filing, describing, closing, retention),
items (registering and describing items), access (reclassification, re-reviews, the 30-year rule),
exports (a file's description, CSV lists), imports (bulk registration as a long job), classes (the classes to file under), feeds
(classification's and stacks' events into read models), destruction and transfers (the destruction and transfer
sagas' steps, which tasks.py and destruction.py call); common holds the events and subjects they share.
"""
from __future__ import annotations

from .access import (change_file_access, change_item_access, complete_review, get_review, list_reviews,
                     open_after_thirty_years, open_due_reviews)
from .classes import list_classes
from .components import (complete_upload, describe_component, download_component, get_component, get_upload,
                         list_components, render_component, request_upload)
from .destruction import destroy_files, mark_for_destruction, unmark_for_destruction
from .exports import describe_file, files_csv, items_csv
from .feeds import record_event, record_events
from .fixity import (check_now, get_fixity_follow_up, get_fixity_report, list_fixity_follow_ups, list_fixity_reports,
                     resolve_fixity_follow_up, run_fixity)
from .files import (close_file, create_file, get_file, list_files, new_file, override_retention, reapply_rule,
                    update_file)
from .imports import KIND as IMPORT_KIND
from .imports import get_job, job_errors, list_jobs, register_row, run_job, submit_import
from .items import add_item, get_item, list_items, new_item, update_item

__all__ = [
    "change_file_access", "change_item_access", "complete_review", "get_review", "list_reviews",
    "open_after_thirty_years", "open_due_reviews", "list_classes", "describe_file", "files_csv", "items_csv",
    "record_event", "record_events", "close_file", "create_file", "get_file", "list_files", "new_file", "override_retention",
    "reapply_rule", "update_file", "add_item", "get_item", "list_items", "new_item", "update_item",
    "complete_upload", "describe_component", "download_component", "get_component", "get_upload", "list_components",
    "render_component", "request_upload", "get_fixity_follow_up", "get_fixity_report", "list_fixity_follow_ups",
    "list_fixity_reports", "resolve_fixity_follow_up", "run_fixity", "check_now",
    "IMPORT_KIND", "get_job", "job_errors", "list_jobs", "register_row", "run_job", "submit_import",
    "destroy_files", "mark_for_destruction", "unmark_for_destruction",
]
