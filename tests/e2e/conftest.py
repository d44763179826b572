"""End-to-end fixtures: the local system (`python -m infrastructure.local`) as a subprocess.

`local_system` (session scope) starts it with fresh data in a temporary folder on
free ports, waits until /_local/health answers 200 (polling with a deadline), yields
a `LocalSystem` client and stops it with SIGINT at the end. `start_local_system`
starts further ones (another template, a restart on the same data).
"""
from __future__ import annotations

from dataclasses import dataclass, field
import email.message
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Callable, TypeVar
import urllib.error
import urllib.request
import uuid

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
STARTUP_DEADLINE = 120.0
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: email.message.Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0]


@dataclass
class LocalSystem:
    base_url: str
    moto_url: str
    data_dir: pathlib.Path
    log_path: pathlib.Path
    process: subprocess.Popen = field(repr=False)
    api_key: str = ""

    def request(self, method: str, path: str, *, token: str | None = None, json_body: Any = None,
                body: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 60) -> Response:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.base_url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.headers, exc.read())

    def token(self, who: str | None = None, **fields: Any) -> str:
        """An ID token: `who` is a demo user ("admin@src") or a role (its first demo user); or give
        user_id/email/org_id/roles."""
        payload = dict(fields)
        if who is not None:
            payload["demo"] = who if "@" in who else _demo_user_with_role(who)
        response = self.request("POST", "/_local/token", json_body=payload)
        assert response.status == 200, response.body
        return response.json()["token"]

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill_hard(self) -> None:
        """`kill -9` of the whole process group: no handler runs, nothing is saved on the way out."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def stack_room(call: Callable[..., Response], prefix: str, *, shelf_width_mm: int) -> tuple[str, str, str, str]:
    """A new repository with one range of one section of two shelves, and a box profile 100 mm wide,
    through the stacks API: (repository code, shelf 1, shelf 2, box profile id)."""
    repo = prefix + uuid.uuid4().hex[:5].upper()
    assert call("POST", "/repositories", {"code": repo, "name": f"E2E {repo}"}).status == 201
    shelf_profile = call("POST", "/location-profiles", {"name": "Shelf", "width_mm": shelf_width_mm,
                                                        "height_mm": 350, "depth_mm": 400,
                                                        "load_limit_kg": 100}).json()["id"]
    box_profile = call("POST", "/container-profiles", {"name": "Box", "width_mm": 100, "height_mm": 300,
                                                       "depth_mm": 380, "weight_kg": 5}).json()["id"]
    created = call("POST", "/locations", {"kind": "range", "parent_id": repo, "number": 1,
                                          "location_profile_id": shelf_profile,
                                          "layout": {"sections": 1, "shelves_per_section": 2}})
    assert created.status == 201, created.body
    return repo, f"{repo}-01-01-1", f"{repo}-01-01-2", box_profile


def _demo_user_with_role(role: str) -> str:
    from infrastructure.local import demo

    exact = [key for key, user in demo.USERS.items() if user["roles"] == [role]]
    having = [key for key, user in demo.USERS.items() if role in user["roles"]]
    if not (exact or having):
        raise ValueError(f"no demo user has the role {role!r}")
    return (exact or having)[0]


def wait_for(probe: Callable[[], T | None], *, timeout: float = 120.0, interval: float = 0.2,
             what: str = "condition") -> T:
    """Poll `probe` until it returns something truthy; fail after `timeout` seconds.

    The default bounds delivery (stream → relay → bus → queue → consumer), not speed: on a
    loaded 2-core CI machine booting two local systems, a fresh start's demo events took
    over 30 s to reach audit. A product promise with a time in it (revocation within a
    minute) passes its own, tighter `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def start_local_system(folder: pathlib.Path, *, template: pathlib.Path | None = None, fresh: bool = True,
                       port: int | None = None, moto_port: int | None = None) -> LocalSystem:
    port, moto_port = port or free_port(), moto_port or free_port()
    data_dir = folder / "data"
    command = [sys.executable, "-m", "infrastructure.local", "--port", str(port), "--moto-port", str(moto_port),
               "--data-dir", str(data_dir), "--webhooks-to-loopback"]  # webhooks reach the tests' own receivers
    if fresh:
        command.append("--fresh")
    if template is not None:
        command += ["--template", str(template)]
    log_path = folder / f"local-system-{port}.log"
    with open(log_path, "wb") as log:
        # its own process group, so a test can kill it and its workers at once, as a crash would
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    system = LocalSystem(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{moto_port}", data_dir, log_path, process)
    deadline = time.monotonic() + STARTUP_DEADLINE
    while True:
        if process.poll() is not None:
            pytest.fail(f"the local system exited ({process.returncode}) while starting:\n{system.log_tail()}")
        try:
            if system.request("GET", "/_local/health", timeout=5).status == 200:
                break
        except OSError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            system.stop()
            pytest.fail(f"the local system was not healthy within {STARTUP_DEADLINE:.0f} s:\n{system.log_tail()}")
        time.sleep(0.2)
    system.api_key = (data_dir / "partner-api-key").read_text().strip()
    return system


@pytest.fixture(scope="session")
def local_system(tmp_path_factory: pytest.TempPathFactory):
    system = start_local_system(tmp_path_factory.mktemp("local-system"))
    # Demo users are active once their provisioning sagas end (the authorizer refuses them before).
    token = system.token("stacks@src")
    wait_for(lambda: system.request("GET", "/me", token=token).status == 200 or None, timeout=60,
             what="the demo users to be provisioned")
    yield system
    system.stop()
