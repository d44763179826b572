"""boto3 clients of the local system's own process, aimed at the emulator.

The endpoint comes from AWS_ENDPOINT_URL (set to the moto server at start), so the
standard per-service AWS_ENDPOINT_URL_<SERVICE> variables can point one service
elsewhere. Clients are created once: boto3 sessions are not thread-safe, clients are.
"""
from __future__ import annotations

import threading

import boto3
from botocore.config import Config

from .template import REGION

_clients: dict[str, object] = {}
_lock = threading.Lock()
# One client per service is shared by every poller thread (dozens): with botocore's default pool of 10
# connections the rest were opened and closed per call, a new server thread each time.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, read_timeout=65, max_pool_connections=128)


def client(service: str):
    with _lock:
        if service not in _clients:
            _clients[service] = boto3.client(service, region_name=REGION, aws_access_key_id="local",
                                             aws_secret_access_key="local", config=_CONFIG)
        return _clients[service]


def api_arguments(service: str, operation: str, properties: dict) -> dict:
    """The CloudFormation properties that are also parameters of an API call (same names)."""
    members = client(service).meta.service_model.operation_model(operation).input_shape.members
    return {key: value for key, value in properties.items() if key in members}


def queue_url(queue_arn: str) -> str:
    return client("sqs").get_queue_url(QueueName=queue_arn.rsplit(":", 1)[1])["QueueUrl"]
