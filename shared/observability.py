"""Logger, Metrics and Tracer, created once and imported everywhere.

The correlation id is the thread-through key: taken from the API request
(`X-Correlation-Id`, else the API Gateway request id), written into every event
envelope and saga input, and restored by consumers and saga steps.
"""
from __future__ import annotations

import os
import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "records")

# Most invocations emit no business metric; Powertools would warn on each of them.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "RecordsManagement"), service=SERVICE)
tracer = Tracer(service=SERVICE)


def set_correlation_id(value: str | None) -> None:
    logger.set_correlation_id(value)


def correlation_id() -> str | None:
    return logger.get_correlation_id()
