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
