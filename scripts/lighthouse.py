#!/usr/bin/env python3
"""Run Lighthouse (mobile profile) on the built sample portal and print the four scores.

    npm ci                      # once: installs lighthouse and axe-core from package-lock.json
    python scripts/lighthouse.py [--write docs/lighthouse.md]

Builds the sample into a temporary folder, serves it on 127.0.0.1, and runs the Lighthouse CLI
against Debian's Chromium (CHROME_PATH=/usr/bin/chromium) for the home page and an article page.
Nothing leaves the machine.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sitegen.cli import main as build  # noqa: E402
from tests.browser import serve  # noqa: E402

CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
PAGES = {"home": "/", "article": "/2019/12/lien-doan-lao-dong-tinh-tong-ket-hoat-dong-cong-doan-nam-2019-va-trien-khai/"}


def lighthouse(url: str, report: Path) -> dict[str, int]:
    binary = REPO / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        sys.exit("lighthouse is not installed: run `npm ci` in the repository first")
    env = {**os.environ, "CHROME_PATH": "/usr/bin/chromium"}
    subprocess.run([str(binary), url, "--quiet", "--output=json", f"--output-path={report}",
                    "--only-categories=" + ",".join(CATEGORIES),
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking"],
                   check=True, env=env)
    data = json.loads(report.read_text(encoding="utf-8"))
    return {c: round(data["categories"][c]["score"] * 100) for c in CATEGORIES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="also write the scores as a Markdown table to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "output"
        if build(["--root", str(REPO), "--output", str(out), "-q"]) != 0:
            sys.exit("the sample portal did not build")
        rows = []
        with serve(out) as base:
            for name, path in PAGES.items():
                scores = lighthouse(base + path, Path(tmp) / f"{name}.json")
                print(f"{name:8} " + "  ".join(f"{c} {s}" for c, s in scores.items()))
                rows.append((name, path, scores))
    if args.write:
        version = subprocess.run([str(REPO / "node_modules/.bin/lighthouse"), "--version"], capture_output=True,
                                 text=True).stdout.strip()
        lines = [f"| page | {' | '.join(CATEGORIES)} |", "|---|" + "---:|" * len(CATEGORIES)]
        lines += [f"| {name} (`{path}`) | " + " | ".join(str(s[c]) for c in CATEGORIES) + " |" for name, path, s in rows]
        text = (f"# Lighthouse scores\n\nPrinted by `python scripts/lighthouse.py --write docs/lighthouse.md` on "
                f"{datetime.date.today().isoformat()}: Lighthouse {version}, mobile profile (its default: "
                "emulated phone, slow 4G, 4× CPU slowdown), Debian's Chromium, the sample portal served on "
                "127.0.0.1.\n\n" + "\n".join(lines) + "\n")
        args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
