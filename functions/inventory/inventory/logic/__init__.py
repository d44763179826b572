"""Inventory's use cases, as the HTTP layer (app.py), the task handler (tasks.py) and the event
consumer (consumer.py) call them. Functions take the caller and plain data, return domain
objects or plain dicts, and know nothing of HTTP or Step Functions.

Each concern lives in its own module under `logic/`: campaigns (open, read, close), scans
(sessions and the shelves they post), counting (the count's state machine steps), results
(results and reports), findings (condition findings and their follow-up), cycles (counting
cycles and the job that opens due campaigns) and read_model (stacks' box events); common
holds the events and subjects they share.
"""
from __future__ import annotations

from .campaigns import close_campaign, create_campaign, expected, get_campaign, list_campaigns
from .counting import (PAGE_SIZE, CountSuperseded, begin_count, classify_page, compare_page, fail_count, finish_count,
                       start_count, sweep_page)
from .cycles import get_cycle, list_cycles, open_due_campaigns, set_cycle
from .findings import get_finding, list_findings, record_finding, update_finding
from .read_model import record_stacks_event, record_stacks_events
from .results import report, report_csv, report_svg, results
from .scans import list_sessions, open_session, partner_scans, post_scans

__all__ = [
    "close_campaign", "create_campaign", "expected", "get_campaign", "list_campaigns", "PAGE_SIZE", "CountSuperseded",
    "begin_count", "classify_page", "compare_page", "fail_count", "finish_count", "start_count", "sweep_page",
    "get_cycle", "list_cycles", "open_due_campaigns", "set_cycle", "get_finding", "list_findings", "record_finding",
    "update_finding", "record_stacks_event", "record_stacks_events", "report", "report_csv", "report_svg", "results", "list_sessions",
    "open_session", "partner_scans", "post_scans",
]
