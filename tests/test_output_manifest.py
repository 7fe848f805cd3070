"""The output, byte for byte, against manifests frozen before a refactoring (issue 24).

A refactoring of the build must not change one byte of what it writes. The manifests in
tests/manifests/ hold the SHA-256 of every file that two builds wrote when they were frozen: the
sample site (this repository's content/) and a 200-article generated corpus, both at a fixed
build time (SOURCE_DATE_EPOCH) and without the search index (whose bytes depend on the Pagefind
release installed; its own reproducibility is tested in test_incremental.py). The web editor
(admin/) is left out: it is built only where its npm packages are installed.

When output is meant to change (a template, a feature), freeze the manifests again:

    PORTAL_FREEZE_MANIFESTS=1 .venv/bin/python -m pytest tests/test_output_manifest.py

and say why in the commit.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sitegen.cli import main

REPO = Path(__file__).resolve().parent.parent
MANIFESTS = REPO / "tests" / "manifests"
MAKE_CORPUS = REPO.parent / "shared" / "bench" / "make_corpus.py"
EPOCH = "1764892800"        # 2025-12-05 00:00 UTC: every corpus article is in the past


def manifest(output: Path) -> dict[str, str]:
    """{relative path: SHA-256} of every file of a build's output but the search index and editor."""
    found = {}
    for path in sorted(output.rglob("*")):
        rel = path.relative_to(output).as_posix()
        if path.is_file() and not rel.startswith(("pagefind/", "admin/")):
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def built(root: Path, output: Path, monkeypatch) -> dict[str, str]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    assert main(["build", "--root", str(root), "--output", str(output), "--no-search", "-q"]) == 0
    return manifest(output)


def compare(name: str, found: dict[str, str]) -> None:
    path = MANIFESTS / f"{name}.json"
    if os.environ.get("PORTAL_FREEZE_MANIFESTS"):
        path.write_text(json.dumps(found, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    frozen = json.loads(path.read_text(encoding="utf-8"))
    missing, extra = frozen.keys() - found.keys(), found.keys() - frozen.keys()
    changed = sorted(rel for rel in frozen.keys() & found.keys() if frozen[rel] != found[rel])
    assert not missing and not extra and not changed, (
        f"{name}: {len(missing)} file(s) missing, e.g. {sorted(missing)[:5]}; {len(extra)} new, e.g. "
        f"{sorted(extra)[:5]}; {len(changed)} changed, e.g. {changed[:5]}")


def test_the_manifest_sees_a_changed_byte(tmp_path):
    (tmp_path / "a.html").write_text("<p>một</p>", encoding="utf-8")
    before = manifest(tmp_path)
    (tmp_path / "a.html").write_text("<p>hai</p>", encoding="utf-8")
    assert manifest(tmp_path) != before and list(before) == ["a.html"]


def test_the_sample_site_is_byte_identical_to_its_frozen_manifest(tmp_path, monkeypatch):
    site = tmp_path / "sample"
    site.mkdir()
    for name in ("content", "templates", "assets"):
        shutil.copytree(REPO / name, site / name)
    shutil.copy(REPO / "site.yaml", site / "site.yaml")
    compare("sample", built(site, tmp_path / "out", monkeypatch))


@pytest.mark.skipif(not MAKE_CORPUS.exists(), reason="needs ../shared/bench/make_corpus.py")
def test_a_generated_corpus_is_byte_identical_to_its_frozen_manifest(tmp_path, monkeypatch):
    site = tmp_path / "corpus"
    subprocess.run([sys.executable, str(MAKE_CORPUS), str(site / "content"), "--articles", "200", "--seed", "1"],
                   check=True, stdout=subprocess.DEVNULL)
    for name in ("templates", "assets"):
        shutil.copytree(REPO / name, site / name)
    (site / "site.yaml").write_text((REPO / "site.yaml").read_text(encoding="utf-8") + "\nslug_source: file\n",
                                    encoding="utf-8")
    compare("corpus-200", built(site, tmp_path / "out", monkeypatch))
