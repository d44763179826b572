"""/docs renders the OpenAPI 3.1 document in a real browser (headless Debian chromium).

Fetching the page and its assets proves nothing about rendering: Swagger UI 4 serves fine
and then shows "Unable to render this definition" for a 3.1 document. So the page is
loaded in chromium, its scripts run, and the DOM after rendering must list the operations.
"""
from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Virtual time runs ahead while the page is idle and waits while it loads (scripts, the
# /openapi.json fetch), so the budget bounds the page's own timers, not the wall clock.
VIRTUAL_TIME_BUDGET_MS = 20_000


def rendered_dom(url: str, profile: pathlib.Path) -> str:
    """The page's DOM after its scripts ran, as chromium --dump-dom prints it."""
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--no-default-browser-check", f"--user-data-dir={profile}",
         f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}", "--dump-dom", url],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def test_docs_page_lists_the_operations_of_the_openapi_document(local_system, tmp_path):
    document = local_system.request("GET", "/openapi.json").json()
    assert document["openapi"].startswith("3.1")

    dom = rendered_dom(f"{local_system.base_url}/docs", tmp_path / "chromium-profile")

    assert "Unable to render this definition" not in dom
    assert 'class="opblock-summary-path"' in dom  # Swagger UI's row for one operation
    some = [("get", "/me"), ("post", "/organisations/{org_id}/users"), ("get", "/boxes/{box_id}")]
    for method, path in some:
        assert path in document["paths"] and method in document["paths"][path]
        assert f'data-path="{path}"' in dom, f"{method.upper()} {path} is not listed on /docs"
