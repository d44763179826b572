"""Classification's use cases, as the HTTP layer (app.py) calls them. Functions take the caller
and plain data, return domain objects or plain dicts, and know nothing of HTTP.

Each concern lives in its own module under `logic/`: versions (list, read, open a draft,
publish), nodes (read, edit a draft's nodes, look a unit task up in the current version) and
sheets (CSV import into a draft, CSV and JSON export); common holds the events, subjects and
version lookups they share.
"""
from __future__ import annotations

from .nodes import create_node, delete_node, get_node, list_nodes, unit_task, update_node
from .sheets import export, export_csv, export_json, import_sheet
from .versions import PUBLISH_CHUNK, get_version, list_versions, publish, start_draft

__all__ = [
    "create_node", "delete_node", "get_node", "list_nodes", "unit_task", "update_node", "export", "export_csv",
    "export_json", "import_sheet", "PUBLISH_CHUNK", "get_version", "list_versions", "publish", "start_draft",
]
