"""Benchmark sites: the shared corpus generator's articles with this repository's theme."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAKE_CORPUS = REPO.parent / "shared" / "bench" / "make_corpus.py"


def make_site(root: Path, articles: int, seed: int = 1) -> Path:
    """Write a site of `articles` generated articles into `root` (reused when already there)."""
    marker = root / f".corpus-{articles}-{seed}"
    if not marker.exists():
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        if not MAKE_CORPUS.exists():
            sys.exit(f"{MAKE_CORPUS} not found: benchmarks need ../shared/bench/ beside the repository")
        subprocess.run([sys.executable, str(MAKE_CORPUS), str(root / "content"), "--articles", str(articles),
                        "--seed", str(seed)], check=True, stdout=subprocess.DEVNULL)
    # the articles are reused; the theme and settings always come fresh from the repository
    for name in ("templates", "assets"):
        shutil.rmtree(root / name, ignore_errors=True)
        shutil.copytree(REPO / name, root / name)
    # Generated titles repeat within a month (the corpus is random text); like Hugo on the
    # same corpus, the file name is the slug.
    config = (REPO / "site.yaml").read_text(encoding="utf-8")
    (root / "site.yaml").write_text(config + "\nslug_source: file\n", encoding="utf-8")
    marker.touch()
    return root
