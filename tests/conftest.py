"""Fixtures: small sites written into tmp_path, built in-process with the real CLI."""
from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from sitegen.cli import main

REPO = Path(__file__).resolve().parent.parent

SITE_YAML = """\
title: "Bản tin thử"
description: "Trang thử nghiệm"
base_url: "https://example.org/"
levels:
  - {key: trung-uong, name: "Trung ương", description: "TLĐ"}
  - {key: tinh, name: "Cấp tỉnh", description: "LĐLĐ tỉnh"}
  - {key: cap-tren-co-so, name: "Cấp trên cơ sở"}
  - {key: co-so, name: "Cơ sở"}
organisation:
  name: "Liên đoàn Lao động tỉnh"
  logo: logo.svg
"""


def article(title: str = "Hội nghị công đoàn", date: str = "2019-12-25", level: str = "tinh",
            body: str = "Nội dung bài viết.", **fields: str) -> str:
    """The text of an article file; extra fields are written as given (raw YAML)."""
    lines = [f"title: {title}", f"date: {date}", f"level: {level}"]
    lines += [f"{key}: {value}" for key, value in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body + "\n"


@dataclass
class Result:
    """What one run of build.py printed and returned."""

    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        """stderr lines that are diagnostics (path: field: message)."""
        return [line for line in self.err.splitlines() if not line.startswith(("build failed", "check failed"))]


class SiteMaker:
    """Writes a site into a folder and builds it with the real command line."""

    def __init__(self, root: Path, capsys):
        self.root, self.capsys = root, capsys
        root.mkdir(parents=True, exist_ok=True)
        shutil.copytree(REPO / "templates", root / "templates")
        shutil.copytree(REPO / "assets", root / "assets")
        (root / "content").mkdir()
        self.write("site.yaml", SITE_YAML)

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text) if text.startswith("\n") else text, encoding="utf-8")
        return path

    def add(self, rel: str, **kwargs: str) -> Path:
        """Write content/<rel> from article(**kwargs)."""
        return self.write(f"content/{rel}", article(**kwargs))

    def build(self, *args: str) -> Result:
        return self.build_cmd("build", *args)

    def build_cmd(self, command: str, *args: str) -> Result:
        """Run `build.py COMMAND --root SITE ARGS…` in-process."""
        self.capsys.readouterr()
        code = main([command, "--root", str(self.root), *args])
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    @property
    def output(self) -> Path:
        return self.root / "output"

    def page(self, path: str) -> str:
        """The HTML of the page at a site path like "2019/12/hoi-nghi/"."""
        return (self.output / path / "index.html").read_text(encoding="utf-8")


@pytest.fixture
def site(tmp_path, capsys) -> SiteMaker:
    """An empty site (config, templates, assets) in tmp_path."""
    return SiteMaker(tmp_path / "site", capsys)


@pytest.fixture
def sample(tmp_path) -> Path:
    """A copy of the repository's sample portal."""
    root = tmp_path / "sample"
    root.mkdir()
    for name in ("content", "templates", "assets"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    return root


def search_documents(root: Path, output: Path | None = None) -> dict[str, str]:
    """The search documents Pagefind read for the site at `root` built into `output` (output/):
    the article's address ("/2019/12/x/") -> the document's text. Vocabulary pages left out."""
    from sitegen.cache import search_path

    docs = search_path(root, output or root / "output") / "docs"
    found = {}
    for path in sorted(docs.rglob("index.html")):
        rel = path.relative_to(docs).parts[1:-1]         # <shard>/<address>/index.html
        if rel and not rel[0].startswith("_"):
            found["/" + "/".join(rel) + "/"] = path.read_text(encoding="utf-8")
    return found
