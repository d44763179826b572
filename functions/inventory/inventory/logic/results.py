"""A campaign's results and its report (JSON, CSV, SVG)."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller

from ..data import campaigns as store
from ..domain import reports
from ..domain.model import RESULTS
from .campaigns import get_campaign


def results(caller: Caller, campaign_id: str, result: str | None, limit: int, cursor: str | None):
    campaign = get_campaign(caller, campaign_id)
    if campaign.run == 0:
        return [], None
    return store.results_page(campaign.org_id, campaign.id, campaign.run, result, limit, cursor)


def report(caller: Caller, campaign_id: str) -> dict[str, Any]:
    campaign = get_campaign(caller, campaign_id)
    per_range = store.counters(campaign.org_id, campaign.id, campaign.run) if campaign.run else {}
    if campaign.status == "counting":
        per_range = {}  # partial figures of a running count would mislead
    total = reports.totals(per_range)
    return {"campaign_id": campaign.id, "name": campaign.name, "status": campaign.status, "run": campaign.run,
            "scope": campaign.scope.public(), "counted_at": campaign.counted_at, "totals": total,
            "expected": sum(v for k, v in total.items() if k != "unexpected"),
            "ranges": [{"range": r, **{k: per_range[r].get(k, 0) for k in RESULTS}} for r in sorted(per_range)],
            "findings": campaign.findings, "undecided_findings": campaign.undecided_findings}


def report_csv(report_: dict[str, Any]) -> str:
    return reports.report_csv({row["range"]: row for row in report_["ranges"]})


def report_svg(report_: dict[str, Any]) -> str:
    return reports.report_svg(f"Stock-take {report_['name']} — results per range",
                              {row["range"]: row for row in report_["ranges"]})
