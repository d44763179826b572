"""`Idempotency-Key` on POST, with Powertools idempotency.

Records live in the capability's own table (pk = "IDEMPOTENCY#<function>",
sk = key hash), so no function needs a second table. The key is scoped by caller
and route; replaying it with another body is a 422, while it is still running a
409. Failures are not remembered, so a corrected retry runs. Entities created
under a key get an id derived from it (`derived_id`), so even a crash between the
write and the idempotency record cannot create a second entity.
"""
from __future__ import annotations

from functools import lru_cache
import os
import re
from typing import Any, Callable
import uuid

from shared.problems import IdempotencyInProgress, IdempotencyKeyReused, ValidationFailed

KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
EXPIRES_AFTER_SECONDS = 24 * 3600
_NAMESPACE = uuid.UUID("6f1c1f6e-6a5e-4c1e-9d1e-2b1f7c9a4e11")


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise ValidationFailed("Idempotency-Key must be 1-128 characters of letters, digits, '.', '_', ':' or '-'.",
                               errors=[{"field": "Idempotency-Key", "message": "invalid format"}])
    return key


def derived_id(scope: str, key: str | None) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{scope}|{key}")) if key else str(uuid.uuid4())


@lru_cache(maxsize=None)
def _store(table_name: str):
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=table_name, key_attr="pk", sort_key_attr="sk", expiry_attr="expiration",
        static_pk_value=f"IDEMPOTENCY#{os.environ.get('AWS_LAMBDA_FUNCTION_NAME', 'local')}",
    )


def run_once(key: str, *, actor: str, route: str, body: Any, action: Callable[[], dict[str, Any]],
             lambda_context: Any = None, table_name: str | None = None) -> tuple[dict[str, Any], bool]:
    """Run `action` once per (key, actor, route); return (stored response, replayed?)."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError, IdempotencyValidationError)

    config = IdempotencyConfig(event_key_jmespath="[key, actor, route]", payload_validation_jmespath="body",
                               expires_after_seconds=EXPIRES_AFTER_SECONDS)
    if lambda_context is not None and hasattr(lambda_context, "get_remaining_time_in_millis"):
        config.register_lambda_context(lambda_context)
    executed = []

    @idempotent_function(data_keyword_argument="request", persistence_store=_store(table_name or os.environ["TABLE_NAME"]),
                          config=config)
    def execute(request: dict[str, Any]) -> dict[str, Any]:
        executed.append(True)
        return action()

    try:
        result = execute(request={"key": key, "actor": actor, "route": route, "body": body})
    except IdempotencyValidationError:
        raise IdempotencyKeyReused("This Idempotency-Key was used with a different request body.") from None
    except IdempotencyAlreadyInProgressError:
        raise IdempotencyInProgress("A request with this Idempotency-Key is still running; retry shortly.") from None
    return result, not executed
