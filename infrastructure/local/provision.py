"""Creates the template's resources in the emulator, in dependency order.

Tables (with their streams and TTL), queues (then their redrive policies, once every
dead-letter queue exists), event buses, rules with their targets, Cognito user pools
with clients and groups, KMS keys (persistence.py keeps their key material across
restarts), S3 buckets (versioning, Object Lock and its default retention, policy), and
state machines with their definitions substituted.
Values only the emulator knows are recorded in `template.discovered`.
"""
from __future__ import annotations

import json
import logging

from botocore.exceptions import ClientError

from .aws import api_arguments, client
from .template import ACCOUNT_ID, PARTITION, Template

log = logging.getLogger("local.provision")


def provision(template: Template) -> None:
    _tables(template)
    _queues(template)
    _event_buses(template)
    _rules(template)
    _user_pools(template)
    _keys(template)
    _buckets(template)
    create_state_machines(template)


def _tables(template: Template) -> None:
    dynamodb = client("dynamodb")
    for logical in template.of_type("AWS::DynamoDB::Table"):
        props = template.properties(logical)
        name = template.physical_name(logical)
        args = api_arguments("dynamodb", "CreateTable", props)
        args["TableName"] = name
        stream = props.get("StreamSpecification")
        if stream:
            args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
        args.pop("SSESpecification", None)  # CloudFormation's shape differs; encryption means nothing locally
        try:
            table = dynamodb.create_table(**args)["TableDescription"]
        except ClientError as exc:  # a DynamoDB elsewhere (AWS_ENDPOINT_URL_DYNAMODB) may keep its tables
            if exc.response["Error"]["Code"] != "ResourceInUseException":
                raise
            table = dynamodb.describe_table(TableName=name)["Table"]
        if table.get("LatestStreamArn"):
            template.discovered[(logical, "StreamArn")] = table["LatestStreamArn"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)


_QUEUE_ATTRIBUTES = ("DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
                     "VisibilityTimeout", "FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled")


def _queues(template: Template) -> None:
    sqs = client("sqs")
    queues = {logical: template.properties(logical) for logical in template.of_type("AWS::SQS::Queue")}
    for logical, props in queues.items():
        attributes = {key: _attribute(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
        sqs.create_queue(QueueName=template.physical_name(logical), Attributes=attributes)
    for logical, props in queues.items():
        if "RedrivePolicy" in props:
            sqs.set_queue_attributes(QueueUrl=template.resolve({"Ref": logical}),
                                     Attributes={"RedrivePolicy": json.dumps(props["RedrivePolicy"])})


def _attribute(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _event_buses(template: Template) -> None:
    for logical in template.of_type("AWS::Events::EventBus"):
        client("events").create_event_bus(Name=template.physical_name(logical))


def _rules(template: Template) -> None:
    events = client("events")
    for logical in template.of_type("AWS::Events::Rule"):
        props = template.properties(logical)
        name = template.physical_name(logical)
        bus = props.get("EventBusName", "default")
        args = {"Name": name, "EventBusName": bus, "State": props.get("State", "ENABLED")}
        if "EventPattern" in props:
            args["EventPattern"] = json.dumps(props["EventPattern"])
        if "ScheduleExpression" in props:
            args["ScheduleExpression"] = props["ScheduleExpression"]
        events.put_rule(**args)
        targets = [_target(t) for t in props.get("Targets", [])]
        for target in targets:
            if ":sqs:" not in target["Arn"]:
                log.warning("rule %s: target %s is not delivered locally (only SQS targets are)", logical, target["Arn"])
        if targets:
            events.put_targets(Rule=name, EventBusName=bus, Targets=targets)


def _target(target: dict) -> dict:
    keys = ("Id", "Arn", "Input", "InputPath", "InputTransformer", "SqsParameters", "RetryPolicy", "DeadLetterConfig")
    return {key: target[key] for key in keys if key in target}


def _user_pools(template: Template) -> None:
    cognito = client("cognito-idp")
    for logical in template.of_type("AWS::Cognito::UserPool"):
        props = template.properties(logical)
        args = api_arguments("cognito-idp", "CreateUserPool", props)
        args["PoolName"] = props.get("UserPoolName", template.physical_name(logical))
        template.discovered[(logical, "Ref")] = cognito.create_user_pool(**args)["UserPool"]["Id"]
    for logical in template.of_type("AWS::Cognito::UserPoolClient"):
        args = api_arguments("cognito-idp", "CreateUserPoolClient", template.properties(logical))
        args.setdefault("ClientName", logical)
        template.discovered[(logical, "Ref")] = cognito.create_user_pool_client(**args)["UserPoolClient"]["ClientId"]
    for logical in template.of_type("AWS::Cognito::UserPoolGroup"):
        cognito.create_group(**api_arguments("cognito-idp", "CreateGroup", template.properties(logical)))


def _keys(template: Template) -> None:
    kms = client("kms")
    for logical in template.of_type("AWS::KMS::Key"):
        props = template.properties(logical)
        args = api_arguments("kms", "CreateKey", props)
        if "KeyPolicy" in props:
            args["Policy"] = json.dumps(props["KeyPolicy"])
        key = kms.create_key(**args)["KeyMetadata"]
        template.discovered[(logical, "Ref")] = key["KeyId"]
        template.discovered[(logical, "Arn")] = key["Arn"]
        template.discovered[(logical, "KeyId")] = key["KeyId"]


def _buckets(template: Template) -> None:
    s3 = client("s3")
    for logical in template.of_type("AWS::S3::Bucket"):
        props = template.properties(logical)
        name = template.physical_name(logical)
        try:
            s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=bool(props.get("ObjectLockEnabled")))
        except ClientError as exc:  # kept from an earlier start (an S3 elsewhere)
            if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        if props.get("VersioningConfiguration"):
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
        lock = props.get("ObjectLockConfiguration")
        if lock and lock.get("Rule"):  # without a Rule, Object Lock is on and each version is locked explicitly
            retention = lock["Rule"]["DefaultRetention"]
            retention = {k: int(v) if k in ("Days", "Years") else v for k, v in retention.items()}
            s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
                "ObjectLockEnabled": lock["ObjectLockEnabled"], "Rule": {"DefaultRetention": retention}})
        if props.get("CorsConfiguration"):  # browsers PUT and GET presigned URLs straight to the bucket
            renamed = {"ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds", "Id": "ID"}  # CFN → S3 API
            rules = [{renamed.get(k, k): int(v) if k == "MaxAge" else v for k, v in rule.items()}
                     for rule in props["CorsConfiguration"]["CorsRules"]]
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
        if props.get("PublicAccessBlockConfiguration"):
            s3.put_public_access_block(Bucket=name,
                                       PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
    for logical in template.of_type("AWS::S3::BucketPolicy"):
        props = template.properties(logical)
        document = dict(props["PolicyDocument"])
        # The emulator is served over plain HTTP: a TLS-only statement would refuse every request. It has no IAM
        # principals either, so a statement keyed on the caller's role tag (only the destruction step may bypass,
        # only disposal's tasks may write certificates) would refuse every caller: the template's tests hold those.
        document["Statement"] = [s for s in document["Statement"]
                                 if not any(key in json.dumps(s.get("Condition", {}))
                                            for key in ("aws:SecureTransport", "aws:PrincipalTag"))]
        client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(document))


def create_state_machines(template: Template, stepfunctions=None) -> None:
    """Every state machine of the template, its definition substituted (the bench passes its own client)."""
    stepfunctions = stepfunctions or client("stepfunctions")
    for logical in template.of_type("AWS::Serverless::StateMachine"):
        props = template.properties(logical)
        if "DefinitionUri" in props:
            definition = (template.root / props["DefinitionUri"]).read_text(encoding="utf-8")
        else:
            definition = json.dumps(props["Definition"])
        for key, value in (props.get("DefinitionSubstitutions") or {}).items():
            definition = definition.replace("${" + key + "}", str(value))
        role = props.get("Role", f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{logical}Role")
        stepfunctions.create_state_machine(
            name=template.physical_name(logical), definition=definition, roleArn=role,
            type=props.get("Type", "STANDARD"))
        if props.get("Events"):
            log.warning("state machine %s: its event sources are not emulated", logical)
