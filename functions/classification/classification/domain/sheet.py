"""The scheme as a spreadsheet (CSV, UTF-8, one header row): what import reads and export writes.

Columns (the header names them; any order; only level, code and title are required):

| column      | functions, sub-functions | unit tasks (단위과제)                                          |
|-------------|--------------------------|----------------------------------------------------------------|
| level       | function / sub_function  | unit_task                                                      |
| code        | unique in the sheet      | unique in the sheet                                            |
| parent_code | blank for a function; a function's code for a sub-function | a sub-function's code        |
| title, description, valid_from, valid_to (yyyy-mm-dd) | as for every node | as for every node              |
| retention   | blank                    | 1y 3y 5y 10y 30y semi_permanent permanent                      |
| action      | blank                    | review / transfer (blank: transfer from 30y up, else review)   |
| access      | blank                    | open / partly_open / closed                                    |
| grounds     | blank                    | art. 9① grounds 1-8, e.g. `5;6` (closed and partly_open need one) |
| notes       | blank                    | free text                                                      |

Rows may come in any order (a parent after its children is fine). Every flaw of every row is
reported, as `rows[N].<column>` where N counts data rows from 1 (the header is line 1, so row N is
line N+1 of the file); `header` names a flaw of the header. Export writes the same columns,
depth first, so an exported sheet imports back unchanged.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Any, Iterable

from .model import Node
from .rules import Errors, node_errors, tree_errors, tree_order

COLUMNS = ("level", "code", "parent_code", "title", "description", "valid_from", "valid_to", "retention", "action",
           "access", "grounds", "notes")
REQUIRED = ("level", "code", "title")
RULE_COLUMNS = ("retention", "action", "access", "grounds", "notes")
MAX_ROWS = 5000  # a draft holds at most this many nodes (see docs/workflows/classification.md)
# The import body (JSON, the sheet in `csv`): Lambda takes at most 6 MB per invocation, event included.
# 5,000 rows with long Korean descriptions and notes are about 1.5 MB of CSV (about 4.5 MB as JSON
# from a client that escapes every non-ASCII character).
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_CSV_CHARS = 4 * 1024 * 1024


def field(row: int, column: str) -> str:
    return f"rows[{row}].{column}"


def parse(text: str) -> tuple[list[dict[str, Any]], Errors]:
    """The sheet's nodes in the API's form (`rule` nested), and every flaw found; nodes are
    usable only when there is no flaw."""
    text = text.removeprefix("\ufeff")  # spreadsheets save UTF-8 with a byte-order mark
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except StopIteration:
        return [], [{"field": "header", "message": "the sheet is empty: a header row names the columns"}]
    except csv.Error as exc:
        return [], [{"field": "header", "message": f"not CSV: {exc}"}]
    errors: Errors = []
    unknown = [c for c in header if c not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if unknown:
        errors.append({"field": "header", "message": f"unknown columns: {', '.join(unknown)}; "
                                                     f"the columns are {', '.join(COLUMNS)}"})
    if missing:
        errors.append({"field": "header", "message": f"missing columns: {', '.join(missing)}"})
    if len(set(header)) != len(header):
        errors.append({"field": "header", "message": "a column is named twice"})
    if errors:
        return [], errors
    nodes: list[dict[str, Any]] = []
    rows: list[int] = []
    try:
        for line in reader:
            if not any(cell.strip() for cell in line):
                continue  # blank lines (a spreadsheet's trailing ones) are not rows
            number = len(rows) + 1
            if number > MAX_ROWS:
                return [], [{"field": "rows", "message": f"at most {MAX_ROWS} rows per sheet"}]
            rows.append(number)
            if len(line) > len(header):
                errors.append({"field": f"rows[{number}]", "message": "more cells than the header has columns"})
            cells = {name: (line[i].strip() if i < len(line) else "") or None for i, name in enumerate(header)}
            node, row_errors = _node(number, cells)
            nodes.append(node)
            errors += row_errors
    except csv.Error as exc:
        errors.append({"field": f"rows[{len(rows) + 1}]", "message": f"not CSV: {exc}"})
    if not nodes and not errors:
        errors.append({"field": "rows", "message": "the sheet has a header but no rows"})
    errors += tree_errors(nodes, lambda i, name: field(rows[i], _column(name)))
    errors.sort(key=_row_order)
    return nodes, errors


def _node(number: int, cells: dict[str, str | None]) -> tuple[dict[str, Any], Errors]:
    errors: Errors = []
    node: dict[str, Any] = {name: cells.get(name) for name in COLUMNS[:7]}
    if node["level"]:
        node["level"] = node["level"].lower()
    if node["level"] == "unit_task":
        grounds: list[Any] = []
        for part in re.split(r"[;,\s]+", cells.get("grounds") or ""):
            if part:
                grounds.append(int(part) if part.isascii() and part.isdigit() else part)
        node["rule"] = {"retention": cells.get("retention"), "action": cells.get("action"),
                        "access": {"classification": cells.get("access"), "grounds": grounds},
                        "notes": cells.get("notes")}
    else:
        node["rule"] = None
        errors += [{"field": field(number, c), "message": "only unit tasks carry a disposal rule: leave it blank"}
                   for c in RULE_COLUMNS if cells.get(c)]
    errors += node_errors(node, lambda name: field(number, _column(name)), lambda name: field(number, name))
    return node, errors


def _column(name: str) -> str:
    """A node field as its sheet column (`rule` has none of its own: its first column)."""
    return "retention" if name == "rule" else name


def _row_order(error: dict[str, Any]) -> tuple[int, int]:
    match = re.match(r"rows\[(\d+)\]\.?(\w*)", error["field"])
    if not match:
        return (-1, 0)
    column = match.group(2)
    return (int(match.group(1)), COLUMNS.index(column) if column in COLUMNS else -1)


def row_of(node: Node) -> list[str]:
    rule = node.rule
    cells = [node.level, node.code, node.parent_code, node.title, node.description, node.valid_from, node.valid_to]
    cells += ([rule.retention, rule.action, rule.access, ";".join(str(g) for g in rule.grounds), rule.notes]
              if rule else [None] * len(RULE_COLUMNS))
    return ["" if cell is None else str(cell) for cell in cells]


def render(nodes: Iterable[Node]) -> str:
    """The sheet of a version: the header, then every node depth first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(row_of(node) for node in tree_order(nodes))
    return out.getvalue()
