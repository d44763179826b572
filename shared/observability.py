"""Logger and Metrics, created once and imported everywhere, and the one Lambda entry decorator.

The correlation id is the thread-through key: taken from the API request
(`X-Correlation-Id`, else the API Gateway request id), written into every event
envelope and saga input, and restored by consumers and saga steps.

Tracing needs no code here. Lambda active tracing (`Tracing: Active` in template.yaml)
records each invocation's segment, and the Logger adds its `xray_trace_id` to every
line; spans inside a function come from the opt-in OpenTelemetry (ADOT) layer, which
wraps the handler from outside. The X-Ray SDK (Powertools' Tracer) is deliberately not
used: it is in maintenance mode and was the heaviest import of every cold start.
"""
from __future__ import annotations

import gc
import os
from typing import Any, Callable
import warnings

from aws_lambda_powertools import Logger, Metrics

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "records")

# Most invocations emit no business metric; Powertools would warn on each of them.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "RecordsManagement"), service=SERVICE)

Handler = Callable[[dict[str, Any], Any], Any]


def set_correlation_id(value: str | None) -> None:
    logger.set_correlation_id(value)


def correlation_id() -> str | None:
    return logger.get_correlation_id()


def lambda_entry(*, correlation_id_path: str | None = None) -> Callable[[Handler], Handler]:
    """Every function's entry: Lambda context and correlation id in the logs (state cleared
    between invocations), metrics flushed after each, and the end of init marked."""

    def decorate(handler: Handler) -> Handler:
        entry = logger.inject_lambda_context(correlation_id_path=correlation_id_path,
                                             clear_state=True)(metrics.log_metrics(handler))
        _init_done()
        return entry

    return decorate


def _init_done() -> None:
    """Handlers are built last in init: what exists now lives as long as the execution
    environment, so it is moved out of the garbage collector's sight (gc.freeze). Full
    collections then scan only new objects, and the first invocation (botocore parsing
    its JSON models) triggers several. Only in a Lambda environment (real or local): a
    test process keeps collecting everything."""
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        gc.freeze()
