"""The project's docs stand alone: every relative link in README.md and docs/ resolves to a
file or folder inside the repository, and no path in their text climbs out of it."""
from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)\s]+)\)")
CLIMB = re.compile(r"(?<![\w.])((?:\.\./)+[\w.-][\w./-]*)")  # ../x in a link, a code span or prose
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_every_relative_link_exists_inside_the_repository():
    broken = []
    for page in PAGES:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue  # absolute URLs and anchors
            path = (page.parent / target.split("#", 1)[0]).resolve()
            if not path.is_relative_to(ROOT) or not path.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []


def test_no_path_points_outside_the_repository():
    outside = [f"{page.relative_to(ROOT)}: {path}" for page in PAGES
               for path in CLIMB.findall(page.read_text(encoding="utf-8"))
               if not (page.parent / path).resolve().is_relative_to(ROOT)]
    assert outside == []


def _commands(text: str) -> list[str]:
    """The shell commands of a page's ```bash blocks, continuation lines joined."""
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    return [command for block in blocks for command in re.sub(r"\\\n\s*", " ", block).splitlines()]


def _idempotent_posts() -> list[re.Pattern]:
    import json

    document = json.loads((ROOT / "infrastructure/api/openapi.json").read_text(encoding="utf-8"))
    return [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$") for path, operations in document["paths"].items()
            if any(p.get("$ref", "").endswith("/IdempotencyKey") for p in operations.get("post", {}).get("parameters", []))]


def test_every_post_of_the_walk_throughs_that_takes_a_key_sends_one_of_its_own():
    """A rerun on kept data replays instead of duplicating, and no literal key serves two bodies."""
    idempotent, missing, literal_keys = _idempotent_posts(), [], []
    for page in PAGES:
        commands = _commands(page.read_text(encoding="utf-8"))
        urls = dict(re.findall(r"^\s*(\w+)=(localhost:3000/\S+)$", "\n".join(commands), re.M))
        for command in commands:
            if "-X POST" not in command:
                continue
            command = re.sub(r"\$(\w+)", lambda m: urls.get(m.group(1), m.group(0)), command)
            path = re.search(r"localhost:3000(/[^\s?\"']*)", command).group(1)
            if any(pattern.match(path) for pattern in idempotent):
                key = re.search(r"Idempotency-Key: ([^'\"]+)", command)
                if key is None:
                    missing.append(f"{page.relative_to(ROOT)}: POST {path}")
                elif "$" not in key.group(1):
                    literal_keys.append(key.group(1))
    assert missing == []
    assert sorted(literal_keys) == sorted(set(literal_keys))
