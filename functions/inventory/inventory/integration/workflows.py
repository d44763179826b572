"""Starting the stock-take count (Step Functions). Execution names make starts idempotent."""
from __future__ import annotations

from functools import lru_cache
import json
import os

from botocore.exceptions import ClientError

from ..domain.model import Campaign


@lru_cache(maxsize=1)
def _client():
    import boto3  # on first use: most first calls need no stepfunctions client, and boto3 is a cold-start cost

    return boto3.client("stepfunctions")


def count_execution_name(campaign: Campaign) -> str:
    return f"count-{campaign.id}-{campaign.run}"


def start_count(campaign: Campaign, correlation_id: str | None) -> bool:
    """Start counting one run of a campaign; False if that run's execution exists already."""
    payload = {"org_id": campaign.org_id, "campaign_id": campaign.id, "run": campaign.run,
               "correlation_id": correlation_id}
    try:
        _client().start_execution(stateMachineArn=os.environ["STOCK_TAKE_STATE_MACHINE_ARN"],
                                  name=count_execution_name(campaign), input=json.dumps(payload))
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ExecutionAlreadyExists":
            return False
        raise
