"""The one Lambda entry decorator (shared.observability.lambda_entry)."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from infrastructure.aws_events import FakeLambdaContext
from shared.observability import correlation_id, lambda_entry, logger

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_correlation_id_comes_from_the_event_and_does_not_outlive_the_invocation():
    seen = []

    @lambda_entry(correlation_id_path="requestContext.requestId")
    def handler(event, context):
        logger.append_keys(step=event.get("step"))
        seen.append((correlation_id(), logger.get_current_keys().get("step")))
        return {}

    handler({"requestContext": {"requestId": "req-1"}, "step": "a"}, FakeLambdaContext())
    handler({"requestContext": {"requestId": "req-2"}}, FakeLambdaContext())
    assert seen == [("req-1", "a"), ("req-2", None)]


@pytest.mark.parametrize("in_lambda", [True, False])
def test_building_a_handler_freezes_init_objects_only_in_a_lambda_environment(in_lambda):
    """gc.freeze keeps full collections off everything init built; a test process is left alone."""
    env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_FUNCTION_NAME"}
    if in_lambda:
        env["AWS_LAMBDA_FUNCTION_NAME"] = "probe"
    code = ("import gc\nfrom shared.observability import lambda_entry\n"
            "lambda_entry()(lambda event, context: None)\nprint(gc.get_freeze_count())")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env | {"PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, check=True).stdout
    assert (int(out) > 0) is in_lambda
