"""The local system is generic: any template runs, with no change to infrastructure/local.

GIVEN a small template of its own (written here: an implicit API, tables with a
stream, queues with redrive, a bus with a rule, schedules, a state machine, a function
that cannot import) and throwaway functions, WHEN the local system runs it, THEN
events have Lambda's shapes and failures take the paths AWS gives them.
"""
from __future__ import annotations

import json
import textwrap
import uuid

import boto3
import pytest

from tests.e2e.conftest import start_local_system, wait_for

pytestmark = pytest.mark.e2e

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Timeout: 5
    CodeUri: functions/sandbox/
    Environment:
      Variables:
        SEEN_TABLE: !Ref SeenTable
Resources:
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  SeenTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt WorkDeadLetterQueue.Arn, maxReceiveCount: 2}
  WorkDeadLetterQueue:
    Type: AWS::SQS::Queue
  StreamFailures:
    Type: AWS::SQS::Queue
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: !Sub "${AWS::StackName}-sandbox-bus"}
  BusQueue:
    Type: AWS::SQS::Queue
  BusRule:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern: {source: [{prefix: "sandbox."}]}
      Targets: [{Id: bus-queue, Arn: !GetAtt BusQueue.Arn}]
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: sandbox.api.handler
      Environment:
        Variables:
          ITEMS_TABLE: !Ref ItemsTable
          WORK_QUEUE_URL: !Ref WorkQueue
          BUS_NAME: !Ref Bus
      Events:
        Echo: {Type: Api, Properties: {Path: "/echo/{name}", Method: ANY}}
        Boom: {Type: Api, Properties: {Path: /boom, Method: GET}}
        PutItem: {Type: Api, Properties: {Path: /items, Method: POST}}
        Send: {Type: Api, Properties: {Path: /queue, Method: POST}}
        Publish: {Type: Api, Properties: {Path: /publish, Method: POST}}
        Seen: {Type: Api, Properties: {Path: "/seen/{pk}", Method: GET}}
  SlowFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: sandbox.api.slow
      Timeout: 1
      Events:
        Slow: {Type: Api, Properties: {Path: /slow, Method: GET}}
  StreamFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: sandbox.consumers.on_stream
      Events:
        Items:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt ItemsTable.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 10
            MaximumRetryAttempts: 1
            FilterCriteria:
              Filters:
                - Pattern: '{"dynamodb": {"NewImage": {"pk": {"S": [{"prefix": "keep-"}, {"prefix": "fail-"}]}}}}'
            DestinationConfig: {OnFailure: {Destination: !GetAtt StreamFailures.Arn}}
  QueueFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: sandbox.consumers.on_queue
      Events:
        Work:
          Type: SQS
          Properties: {Queue: !GetAtt WorkQueue.Arn, BatchSize: 5, FunctionResponseTypes: [ReportBatchItemFailures]}
        FromBus:
          Type: SQS
          Properties: {Queue: !GetAtt BusQueue.Arn}
  TickFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: sandbox.consumers.echo
      Events:
        Tick: {Type: Schedule, Properties: {Schedule: rate(1 day)}}
        Nightly: {Type: ScheduleV2, Properties: {ScheduleExpression: "cron(0 3 * * ? *)", Input: '{"job": "nightly"}'}}
  ExplodeFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: sandbox.consumers.explode
  BrokenFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: sandbox.missing.handler
      Events:
        Broken: {Type: Api, Properties: {Path: /broken, Method: GET}}
  Pipeline:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: !Sub "${AWS::StackName}-pipeline"
      DefinitionSubstitutions:
        EchoArn: !GetAtt TickFunction.Arn
        ExplodeArn: !GetAtt ExplodeFunction.Arn
      Definition:
        StartAt: Echo
        States:
          Echo:
            Type: Task
            Resource: arn:aws:states:::lambda:invoke
            Parameters: {FunctionName: "${EchoArn}", Payload: {"hello.$": "$.hello"}}
            ResultSelector: {"echoed.$": "$.Payload"}
            ResultPath: $.echo
            Next: Explode
          Explode:
            Type: Task
            Resource: arn:aws:states:::lambda:invoke
            Parameters: {FunctionName: "${ExplodeArn}", Payload: {}}
            Catch: [{ErrorEquals: [States.ALL], ResultPath: $.error, Next: Caught}]
            End: true
          Caught: {Type: Succeed}
"""

API = '''
import json, os, time
import boto3

def _reply(status, body):
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}

def handler(event, context):
    route = (event["httpMethod"], event["resource"])
    if event["resource"] == "/echo/{name}":
        return _reply(200, {"event": event, "env": sorted(os.environ), "context": {
            "function_name": context.function_name, "remaining_ms": context.get_remaining_time_in_millis(),
            "memory": context.memory_limit_in_mb, "arn": context.invoked_function_arn}})
    if route == ("GET", "/boom"):
        raise RuntimeError("boom")
    if route == ("POST", "/items"):
        boto3.client("dynamodb").put_item(TableName=os.environ["ITEMS_TABLE"], Item={"pk": {"S": event["body"]}})
    elif route == ("POST", "/queue"):
        boto3.client("sqs").send_message(QueueUrl=os.environ["WORK_QUEUE_URL"], MessageBody=event["body"])
    elif route == ("POST", "/publish"):
        boto3.client("events").put_events(Entries=[{"EventBusName": os.environ["BUS_NAME"], "Source": "sandbox.test",
                                                    "DetailType": "Thing", "Detail": json.dumps({"pk": event["body"]})}])
    elif route == ("GET", "/seen/{pk}"):
        item = boto3.client("dynamodb").get_item(TableName=os.environ["SEEN_TABLE"],
                                                 Key={"pk": {"S": event["pathParameters"]["pk"]}}).get("Item")
        return _reply(200, json.loads(item["record"]["S"])) if item else _reply(404, {})
    return _reply(202, {})

def slow(event, context):
    time.sleep(3)
'''

CONSUMERS = '''
import json, os
import boto3

def _seen(pk, record):
    boto3.client("dynamodb").put_item(TableName=os.environ["SEEN_TABLE"],
                                      Item={"pk": {"S": pk}, "record": {"S": json.dumps(record)}})

def on_stream(event, context):
    for record in event["Records"]:
        pk = record["dynamodb"]["NewImage"]["pk"]["S"]
        if pk.startswith("fail-"):
            raise ValueError(f"cannot take {pk}")
        _seen(pk, record)

def on_queue(event, context):
    failures = []
    for record in event["Records"]:
        try:
            pk = json.loads(record["body"])["detail"]["pk"]  # an event from the bus
        except (ValueError, KeyError, TypeError):
            pk = record["body"]
        if pk.startswith("fail-"):
            failures.append({"itemIdentifier": record["messageId"]})
        else:
            _seen(pk, record)
    return {"batchItemFailures": failures}

def echo(event, context):
    return event

def explode(event, context):
    raise ValueError("exploded on purpose")
'''


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    root = tmp_path_factory.mktemp("sandbox")
    (root / "template.yaml").write_text(TEMPLATE)
    package = root / "functions" / "sandbox" / "sandbox"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "api.py").write_text(textwrap.dedent(API))
    (package / "consumers.py").write_text(textwrap.dedent(CONSUMERS))
    system = start_local_system(root, template=root / "template.yaml")
    yield system
    system.stop()


def _aws(system, service: str):
    return boto3.client(service, endpoint_url=system.moto_url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def _seen(system, pk: str):
    response = system.request("GET", f"/seen/{pk}")
    return response.json() if response.status == 200 else None


def _drain(system, queue: str) -> list[dict]:
    sqs = _aws(system, "sqs")
    url = sqs.get_queue_url(QueueName=f"records-local-{queue}")["QueueUrl"]
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])


def test_a_function_that_cannot_import_is_reported_and_answers_502(sandbox):
    health = sandbox.request("GET", "/_local/health").json()
    response = sandbox.request("GET", "/broken")

    assert health["functions"]["BrokenFunction"]["status"] == "init_error"
    assert "Runtime.ImportModuleError" in health["functions"]["BrokenFunction"]["error"]
    assert response.status == 502 and response.content_type == "application/problem+json"


def test_the_proxy_event_and_context_are_lambdas(sandbox):
    response = sandbox.request("POST", "/echo/hello%20world?a=1&a=2&b=x", body=b"\xff\x00binary",
                               headers={"Content-Type": "application/octet-stream"})

    assert response.status == 200
    echoed = response.json()
    event = echoed["event"]
    assert event["resource"] == "/echo/{name}" and event["path"] == "/echo/hello world"
    assert event["pathParameters"] == {"name": "hello world"}
    assert event["queryStringParameters"] == {"a": "2", "b": "x"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x"]}
    assert event["isBase64Encoded"] is True
    assert event["requestContext"]["stage"] == "Prod" and event["requestContext"]["path"] == "/Prod/echo/hello world"
    assert "authorizer" not in event["requestContext"]  # an API without authorizers
    assert echoed["context"]["function_name"] == "ApiFunction" and echoed["context"]["memory"] == 128
    assert 0 < echoed["context"]["remaining_ms"] <= 5000
    assert {"SEEN_TABLE", "ITEMS_TABLE", "AWS_LAMBDA_FUNCTION_NAME", "AWS_ENDPOINT_URL"} <= set(echoed["env"])
    assert "HOME" not in echoed["env"]  # only the function's own environment


@pytest.mark.parametrize("path", ["/boom", "/slow"], ids=["unhandled-error", "function-timeout"])
def test_a_failing_function_answers_502_problem(sandbox, path):
    response = sandbox.request("GET", path)

    assert response.status == 502
    assert response.json()["type"].endswith("/bad-gateway")


def test_stream_records_are_filtered_and_failures_go_to_the_on_failure_queue(sandbox):
    for pk in ("skip-1", "keep-1", "fail-1"):
        assert sandbox.request("POST", "/items", body=pk.encode()).status == 202

    record = wait_for(lambda: _seen(sandbox, "keep-1"), what="keep-1 from the stream")
    failures = wait_for(lambda: _drain(sandbox, "StreamFailures"), what="the failed batch in the OnFailure queue")

    assert record["eventSource"] == "aws:dynamodb" and record["eventName"] == "INSERT"
    assert record["eventSourceARN"].startswith("arn:aws:dynamodb:us-east-1:123456789012:table/records-local-ItemsTable/stream/")
    assert _seen(sandbox, "skip-1") is None  # filtered out before keep-1 was delivered
    info = json.loads(failures[0]["Body"])
    assert info["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["requestContext"]["approximateInvokeCount"] == 2  # the first try and one retry
    assert info["DDBStreamBatchInfo"]["streamArn"] == record["eventSourceARN"]


def test_queue_failures_are_retried_then_redriven_to_the_dead_letter_queue(sandbox):
    assert sandbox.request("POST", "/queue", body=b"ok-1").status == 202
    assert sandbox.request("POST", "/queue", body=b"fail-2").status == 202

    record = wait_for(lambda: _seen(sandbox, "ok-1"), what="ok-1 from the queue")
    dead = wait_for(lambda: _drain(sandbox, "WorkDeadLetterQueue"), what="fail-2 in the dead-letter queue")

    assert record["eventSource"] == "aws:sqs" and record["body"] == "ok-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1" and record["md5OfBody"]
    assert [m["Body"] for m in dead] == ["fail-2"]


def test_a_rule_delivers_bus_events_to_its_queue_and_on_to_the_consumer(sandbox):
    assert sandbox.request("POST", "/publish", body=b"from-bus").status == 202

    record = wait_for(lambda: _seen(sandbox, "from-bus"), what="the bus event from the rule's queue")

    assert json.loads(record["body"])["source"] == "sandbox.test"


def test_schedules_fire_on_demand_with_their_input_or_a_scheduled_event(sandbox):
    listed = {s["event"]: s for s in sandbox.request("GET", "/_local/schedules").json()["schedules"]}
    tick = sandbox.request("POST", "/_local/schedules/Tick/run").json()
    nightly = sandbox.request("POST", "/_local/schedules/nightly/run").json()

    assert listed["Tick"]["timer"] is True and listed["Nightly"]["timer"] is False  # cron is not timed locally
    assert tick["ok"] and tick["result"]["detail-type"] == "Scheduled Event"
    assert nightly["ok"] and nightly["result"] == {"job": "nightly"}


def test_state_machines_run_the_real_functions_including_their_errors(sandbox):
    sfn = _aws(sandbox, "stepfunctions")
    arn = sfn.start_execution(stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:records-local-pipeline",
                              name=str(uuid.uuid4()), input=json.dumps({"hello": "world"}))["executionArn"]

    done = wait_for(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d,
                    what="the execution to finish")

    assert done["status"] == "SUCCEEDED"
    output = json.loads(done["output"])
    assert output["echo"]["echoed"] == {"hello": "world"}
    assert output["error"]["Error"] == "ValueError"
