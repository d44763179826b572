"""Lambda-like concurrency in the local system: a pool of execution environments per function.

GIVEN a small template of its own (a barrier function that only returns once N of its
invocations have started, functions that hang past their Timeout, reserved concurrency
set on each), WHEN clients call one function concurrently, THEN the invocations run in
separate environments at the same time, up to the function's limit, later ones reuse
idle environments, and an environment whose invocation timed out is replaced so the next
request is answered. The gateway answers as API Gateway: 502 when the function fails or
times out, 504 when the 29 s integration timeout passes first.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
import os
import textwrap
import uuid

import pytest

from tests.e2e.conftest import start_local_system

pytestmark = pytest.mark.e2e
BARRIER = 3  # the barrier function's reserved concurrency: invocations that must run at once

TEMPLATE = f"""
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Timeout: 25
    CodeUri: functions/probe/
    Environment:
      Variables:
        ARRIVALS_TABLE: !Ref ArrivalsTable
Resources:
  ArrivalsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]
  BarrierFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: probe.api.barrier
      ReservedConcurrentExecutions: {BARRIER}
      Events:
        Barrier: {{Type: Api, Properties: {{Path: "/barrier/{{run}}", Method: GET}}}}
  HangFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: probe.api.hang_or_answer
      Timeout: 1
      ReservedConcurrentExecutions: 1
      Events:
        Hang: {{Type: Api, Properties: {{Path: "/hang/{{mode}}", Method: GET}}}}
  LongFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: probe.api.hang_or_answer
      Timeout: 120
      ReservedConcurrentExecutions: 1
      Events:
        Long: {{Type: Api, Properties: {{Path: "/long/{{mode}}", Method: GET}}}}
"""

API = '''
import json, os, threading, time
import boto3

_table = boto3.resource("dynamodb").Table(os.environ["ARRIVALS_TABLE"])

def _reply(status, body):
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}

def barrier(event, context):
    """Count this arrival, then wait (to a second before the Timeout) until `n` invocations have arrived."""
    started = time.time()
    run, needed = event["pathParameters"]["run"], int(event["queryStringParameters"]["n"])
    arrived = _table.update_item(Key={"pk": run}, UpdateExpression="ADD arrivals :one",
                                 ExpressionAttributeValues={":one": 1}, ReturnValues="UPDATED_NEW")
    seen = int(arrived["Attributes"]["arrivals"])
    while seen < needed and context.get_remaining_time_in_millis() > 1000:
        time.sleep(0.05)
        seen = int(_table.get_item(Key={"pk": run}, ConsistentRead=True)["Item"]["arrivals"])
    return _reply(200, {"pid": os.getpid(), "met": seen >= needed, "started": started, "ended": time.time()})

def hang_or_answer(event, context):
    if event["pathParameters"]["mode"] == "hang":
        threading.Event().wait()  # never returns: only the function's Timeout ends it
    return _reply(200, {"pid": os.getpid()})
'''


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    root = tmp_path_factory.mktemp("concurrency")
    (root / "template.yaml").write_text(TEMPLATE)
    package = root / "functions" / "probe" / "probe"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "api.py").write_text(textwrap.dedent(API))
    system = start_local_system(root, template=root / "template.yaml")
    yield system
    system.stop()


def _pool(system, function: str) -> dict:
    return system.request("GET", "/_local/health").json()["functions"][function]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_concurrent_requests_to_one_function_run_at_once_in_separate_environments(probe):
    run = uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=BARRIER) as clients:
        answers = list(clients.map(lambda _: probe.request("GET", f"/barrier/{run}?n={BARRIER}"), range(BARRIER)))

    assert [a.status for a in answers] == [200] * BARRIER, [a.body for a in answers]
    bodies = [a.json() for a in answers]
    # Each returned only after all had started: they ran at the same time, each in its own process.
    assert all(b["met"] for b in bodies), bodies
    assert len({b["pid"] for b in bodies}) == BARRIER
    assert max(b["started"] for b in bodies) < min(b["ended"] for b in bodies)  # the intervals overlap
    pool = _pool(probe, "BarrierFunction")
    assert pool["limit"] == BARRIER and pool["environments"] == BARRIER  # ReservedConcurrentExecutions honoured


def test_requests_beyond_the_limit_wait_for_a_warm_environment(probe):
    run = uuid.uuid4().hex
    more = BARRIER + 2
    with ThreadPoolExecutor(max_workers=more) as clients:
        answers = list(clients.map(lambda _: probe.request("GET", f"/barrier/{run}?n={BARRIER}"), range(more)))

    assert [a.status for a in answers] == [200] * more, [a.body for a in answers]
    assert all(a.json()["met"] for a in answers)
    assert len({a.json()["pid"] for a in answers}) == BARRIER  # the later ones reused the first ones' environments
    assert _pool(probe, "BarrierFunction")["environments"] == BARRIER


def test_an_environment_whose_invocation_timed_out_is_replaced_and_the_next_request_answers(probe):
    before = probe.request("GET", "/hang/answer")
    assert before.status == 200
    first_pid = before.json()["pid"]

    hung = probe.request("GET", "/hang/hang")  # the only environment (reserved concurrency 1) hangs
    after = probe.request("GET", "/hang/answer")

    assert hung.status == 502 and hung.json()["type"].endswith("/bad-gateway")  # Lambda's timeout: a function error
    assert after.status == 200
    assert after.json()["pid"] != first_pid and not _alive(first_pid)  # killed and replaced, as Lambda does
    pool = _pool(probe, "HangFunction")
    assert pool["status"] == "ready" and pool["replaced"] >= 1 and pool["limit"] == 1


def test_past_the_integration_timeout_the_gateway_answers_504_and_the_function_runs_on(probe):
    hung = probe.request("GET", "/long/hang")  # Timeout 120 s: the gateway's 29 s pass first

    assert hung.status == 504 and hung.content_type == "application/problem+json"
    assert hung.json()["type"].endswith("/gateway-timeout")
    assert _pool(probe, "LongFunction")["busy"] == 1  # still running, as a Lambda invocation would
