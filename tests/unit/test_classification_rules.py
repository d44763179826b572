"""Classification's rules without AWS: a unit task's disposal rule (기록관리기준표), a node's
fields, the tree they form, and the CSV sheet (parsing every flaw of every row, rendering it
back depth first)."""
from __future__ import annotations

import csv
import io

import pytest

from classification.domain import sheet
from classification.domain.model import Node, Rule
from classification.domain.rules import (default_action, make_rule, node_errors, path_of, rule_errors, tree_errors,
                                         tree_order)

HEADER = ",".join(sheet.COLUMNS)


def _fields(errors):
    return [e["field"] for e in errors]


def _rule(**changes):
    rule = {"retention": "5y", "access": {"classification": "open", "grounds": []}}
    return {**rule, **changes}


@pytest.mark.parametrize("retention, action", [("1y", "review"), ("10y", "review"), ("30y", "transfer"),
                                               ("semi_permanent", "transfer"), ("permanent", "transfer")])
def test_thirty_years_and_more_go_to_the_archive_by_default(retention, action):
    assert default_action(retention) == action
    assert make_rule(_rule(retention=retention)).action == action


@pytest.mark.parametrize("retention", ["30y", "semi_permanent", "permanent"])
def test_long_retention_cannot_be_reviewed_for_destruction(retention):
    assert _fields(rule_errors(_rule(retention=retention, action="review"), str)) == ["action"]
    assert rule_errors(_rule(retention=retention, action="transfer"), str) == []


@pytest.mark.parametrize("access, grounds, bad", [
    ("open", [], False), ("open", [3], True), ("closed", [], True), ("closed", [1, 8], False),
    ("partly_open", [], True), ("partly_open", [5], False), ("closed", [9], True), ("closed", [0], True),
    ("closed", [2, 2], True), ("closed", [True], True)])
def test_closed_and_partly_open_name_grounds_one_to_eight_and_open_names_none(access, grounds, bad):
    errors = rule_errors(_rule(access={"classification": access, "grounds": grounds}), str)
    assert _fields(errors) == (["grounds"] if bad else [])


def test_every_flaw_of_a_rule_is_named():
    errors = rule_errors({"retention": "forever", "action": "burn", "trigger": "never",
                          "access": {"classification": "secret"}, "notes": "x" * 2001}, lambda f: f"rule.{f}")
    assert _fields(errors) == ["rule.retention", "rule.action", "rule.trigger", "rule.access", "rule.notes"]


def test_a_rule_keeps_its_grounds_sorted_once_and_the_default_trigger():
    rule = make_rule(_rule(access={"classification": "closed", "grounds": [6, 5]}, notes="n"))
    assert rule == Rule(retention="5y", action="review", access="closed", grounds=(5, 6), notes="n")
    assert rule.public() == {"retention": "5y", "trigger": "year_after_closing", "action": "review",
                             "access": {"classification": "closed", "grounds": [5, 6]}, "notes": "n"}


@pytest.mark.parametrize("node, fields", [
    ({"level": "function", "code": "A", "title": "A"}, []),
    ({"level": "function", "code": "A", "title": "A", "parent_code": "B"}, ["parent_code"]),
    ({"level": "sub_function", "code": "A1", "title": "A"}, ["parent_code"]),
    ({"level": "unit_task", "code": "T", "parent_code": "S", "title": "T"}, ["rule"]),
    ({"level": "function", "code": "A", "title": "A", "rule": _rule()}, ["rule"]),
    ({"level": "unit_task", "code": "T", "parent_code": "T", "title": "T", "rule": _rule()}, ["parent_code"]),
    ({"level": "branch", "code": "-A", "title": " "}, ["level", "code", "title"]),
    ({"level": "function", "code": "A", "title": "A", "valid_from": "2024-02-01", "valid_to": "2024-01-31"},
     ["valid_to"]),
    ({"level": "function", "code": "A", "title": "A", "valid_from": "2023-02-29"}, ["valid_from"]),
])
def test_a_nodes_own_fields(node, fields):
    assert _fields(node_errors(node)) == fields


def test_the_tree_needs_unique_codes_and_parents_of_the_level_above():
    nodes = [{"level": "function", "code": "A"}, {"level": "sub_function", "code": "A1", "parent_code": "A"},
             {"level": "unit_task", "code": "T1", "parent_code": "A"}, {"level": "unit_task", "code": "T2",
                                                                        "parent_code": "Z"},
             {"level": "function", "code": "A"}]
    errors = tree_errors(nodes, lambda i, name: f"{i}.{name}")
    assert errors == [{"field": "4.code", "message": "A is already used by 0.code"},
                      {"field": "2.parent_code", "message": "A is not a sub_function"},
                      {"field": "3.parent_code", "message": "no node with code Z"}]


def _node(code, level, parent=None, title=None):
    rule = Rule("5y", "review", "open") if level == "unit_task" else None
    return Node("o", "s", code, level, title or code, parent_code=parent, rule=rule)


def test_depth_first_order_and_the_path_above_a_unit_task():
    nodes = [_node("B", "function"), _node("A-2", "sub_function", "A"), _node("A", "function"),
             _node("A-1-T", "unit_task", "A-1"), _node("A-1", "sub_function", "A"), _node("B-1", "sub_function", "B")]
    assert [n.code for n in tree_order(nodes)] == ["A", "A-1", "A-1-T", "A-2", "B", "B-1"]
    by_code = {n.code: n for n in nodes}
    assert path_of(by_code["A-1-T"], by_code) == [{"level": "function", "code": "A", "title": "A"},
                                                  {"level": "sub_function", "code": "A-1", "title": "A-1"}]


# ----------------------------------------------------------------------- sheet
def test_a_sheet_reports_every_flaw_of_every_row_by_row_number():
    text = "\n".join([HEADER,
                      "function,A,,기능,,,,,,,,",
                      "",  # a blank line is not a row
                      "sub_function,A1,A,중기능,,,,5y,,,,",
                      "unit_task,T1,A1,과제,,2020-13-01,,3y,transfer,partly_open,,",
                      "unit_task,T2,A,과제,,,,,,,x;2,",
                      "unit_task,T1,A1,과제,,,,1y,,open,,,extra"])
    nodes, errors = sheet.parse(text)
    assert _fields(errors) == ["rows[2].retention", "rows[3].valid_from", "rows[3].grounds",
                               "rows[4].parent_code", "rows[4].retention", "rows[4].access", "rows[4].grounds",
                               "rows[5]", "rows[5].code"]
    assert len(nodes) == 5


def test_a_sheet_with_a_byte_order_mark_columns_in_any_order_and_defaults():
    text = "\ufeffcode,level,title,parent_code,retention,access,grounds\r\n" \
           "A,function,기능,,,,\r\nA1,sub_function,중기능,A,,,\r\nT,unit_task,과제,A1,permanent,closed,\"6,5\"\r\n"
    nodes, errors = sheet.parse(text)
    assert errors == []
    assert nodes[2]["rule"] == {"retention": "permanent", "action": None, "notes": None,
                                "access": {"classification": "closed", "grounds": [6, 5]}}
    assert make_rule(nodes[2]["rule"]).action == "transfer"


@pytest.mark.parametrize("text, message", [
    ("", "the sheet is empty"), ("level,code\n", "missing columns: title"),
    ("level,code,title,colour\n", "unknown columns: colour"), ("level,code,title,code\n", "named twice"),
    ("level,code,title\n", "no rows")])
def test_a_bad_header_or_an_empty_sheet(text, message):
    nodes, errors = sheet.parse(text)
    assert len(errors) == 1 and message in errors[0]["message"], errors


def test_a_sheet_holds_at_most_the_documented_rows():
    rows = ["function,F,,f,,,,,,,,"] + [f"sub_function,S{i},F,s,,,,,,,," for i in range(sheet.MAX_ROWS - 1)]
    nodes, errors = sheet.parse("\n".join([HEADER, *rows]))
    assert errors == [] and len(nodes) == sheet.MAX_ROWS
    nodes, errors = sheet.parse("\n".join([HEADER, *rows, "sub_function,S-extra,F,s,,,,,,,,"]))
    assert errors == [{"field": "rows", "message": f"at most {sheet.MAX_ROWS} rows per sheet"}]


def test_a_rendered_sheet_parses_back_to_the_same_nodes():
    nodes = [_node("A", "function", title="일반, \"행정\""), _node("A-1", "sub_function", "A"),
             Node("o", "s", "A-1-T", "unit_task", "과제", parent_code="A-1", description="줄\n바꿈", valid_from="2020-01-01",
                  rule=Rule("semi_permanent", "transfer", "partly_open", (1, 7), notes="비고"))]
    text = sheet.render(reversed(nodes))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(sheet.COLUMNS) and [r[1] for r in rows[1:]] == ["A", "A-1", "A-1-T"]
    assert rows[3][7:] == ["semi_permanent", "transfer", "partly_open", "1;7", "비고"]
    parsed, errors = sheet.parse(text)
    assert errors == []
    assert parsed[0]["title"] == "일반, \"행정\"" and parsed[2]["description"] == "줄\n바꿈"
    assert make_rule(parsed[2]["rule"]) == nodes[2].rule
