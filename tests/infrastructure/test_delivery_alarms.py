"""Lag that can be seen in AWS: the template alarms where the local system's health says `degraded`.

Every queue an SQS event source reads has an ApproximateAgeOfOldestMessage alarm, every function
on a table stream an IteratorAge alarm, every dead-letter queue an alarm on its first message;
the lag thresholds are the local default (`--max-lag`, 60 s), and all notify the optional topic.
"""
from __future__ import annotations

from typing import Any

import pytest

from infrastructure.local.lag import DEFAULT_MAX_LAG_SECONDS
from tests.infrastructure.test_template import FUNCTIONS, QUEUES, RESOURCES, _events, _props, _ref_target

ALARMS = {lid: _props(r) for lid, r in RESOURCES.items() if r.get("Type") == "AWS::CloudWatch::Alarm"}


def _alarms_on(namespace: str, metric: str, dimension: str) -> dict[str, dict[str, Any]]:
    """Alarm properties by the logical id their dimension names."""
    found = {}
    for props in ALARMS.values():
        if (props.get("Namespace"), props.get("MetricName")) != (namespace, metric):
            continue
        for dim in props.get("Dimensions") or []:
            if dim.get("Name") == dimension:
                found[_ref_target(dim.get("Value"))] = props
    return found


CONSUMED_QUEUES = sorted({_ref_target(props.get("Queue")) for fn in FUNCTIONS.values()
                          for _, props in _events(fn, "SQS")})
STREAM_FUNCTIONS = sorted({lid for lid, fn in FUNCTIONS.items() if any(_events(fn, "DynamoDB"))})
DEAD_LETTER_QUEUES = sorted(
    ({_ref_target((_props(q).get("RedrivePolicy") or {}).get("deadLetterTargetArn")) for q in QUEUES.values()}
     | {_ref_target(((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"))
        for fn in FUNCTIONS.values() for _, props in _events(fn, "DynamoDB")})
    - {None})


# Queues whose messages wait in SQS's delay by design (webhook retries: up to 15 minutes per hop). In AWS
# their age may include that wait, so their alarm allows it on top of the usual threshold; locally the
# delay is not counted as lag (infrastructure/local/queues.py).
DELAYED_BY_DESIGN = {"DeliveriesQueue"}
MAX_SQS_DELAY_SECONDS = 900


@pytest.mark.parametrize("queue", CONSUMED_QUEUES)
def test_a_read_model_s_queue_alarms_when_its_oldest_message_passes_the_lag_threshold(queue):
    alarm = _alarms_on("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName").get(queue)
    assert alarm, f"no ApproximateAgeOfOldestMessage alarm on {queue}"
    assert alarm["Statistic"] == "Maximum" and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    if queue in DELAYED_BY_DESIGN:
        assert float(alarm["Threshold"]) >= DEFAULT_MAX_LAG_SECONDS + MAX_SQS_DELAY_SECONDS
    else:
        assert float(alarm["Threshold"]) == DEFAULT_MAX_LAG_SECONDS  # seconds, as health's max_lag_s
    assert alarm.get("TreatMissingData") == "notBreaching"  # an idle queue publishes no age


@pytest.mark.parametrize("function", STREAM_FUNCTIONS)
def test_a_stream_consumer_alarms_when_its_iterator_age_passes_the_lag_threshold(function):
    alarm = _alarms_on("AWS/Lambda", "IteratorAge", "FunctionName").get(function)
    assert alarm, f"no IteratorAge alarm on {function}"
    assert alarm["Statistic"] == "Maximum" and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert float(alarm["Threshold"]) == DEFAULT_MAX_LAG_SECONDS * 1000  # milliseconds


@pytest.mark.parametrize("queue", DEAD_LETTER_QUEUES)
def test_a_dead_letter_queue_alarms_on_its_first_message(queue):
    alarm = _alarms_on("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName").get(queue)
    assert alarm, f"no alarm on {queue}'s messages"
    assert float(alarm["Threshold"]) == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_every_alarm_notifies_the_optional_topic():
    for lid, props in ALARMS.items():
        assert props.get("AlarmActions") == {"Fn::If": ["WithAlarmTopic", [{"Ref": "AlarmTopicArn"}],
                                                        {"Ref": "AWS::NoValue"}]}, lid
