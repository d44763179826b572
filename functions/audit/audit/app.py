"""Audit's HTTP routes."""
from __future__ import annotations

from shared.http import Api, Reply, RequestContext
from shared.pagination import parse_limit
from shared.problems import ValidationFailed

from . import logic

api = Api("audit")
app = api.app


@api.route("/audit/entities/{entity_id}/events", "GET")
def entity_history(ctx: RequestContext, entity_id: str) -> Reply:
    params = ctx.params({"limit", "cursor", "verify"})
    if params.get("verify", "false") not in ("true", "false"):
        raise ValidationFailed("verify must be true or false", errors=[{"field": "verify", "message": "not a boolean"}])
    return Reply(logic.entity_history(ctx.require_caller(), entity_id, parse_limit(params), params.get("cursor"),
                                      params.get("verify") == "true"))


handler = api.lambda_handler()
