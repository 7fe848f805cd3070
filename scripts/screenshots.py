#!/usr/bin/env python3
"""Screenshots of the sample portal at 360 px and 1280 px, for docs/screenshots/ and the README.

    python scripts/screenshots.py

Builds the sample into a temporary folder, serves it on 127.0.0.1 and photographs the first screen
of the home page, an article, a topic page and a search with Debian's Chromium (Playwright).
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sitegen.cli import main as build  # noqa: E402
from tests.browser import chromium, serve  # noqa: E402

PAGES = {
    "trang-chu": "/",
    "bai-viet": "/2021/06/cong-doan-vien-chuc-tinh-so-ket-hoat-dong-cong-doan-6-thang-dau-nam/",
    "chu-de": "/chu-de/hoi-nghi/",
    "tim-kiem": "/tim-kiem/?q=dai+hoi",
}
SIZES = {360: 780, 1280: 900}
OUT = REPO / "docs" / "screenshots"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "output"
        if build(["--root", str(REPO), "--output", str(out), "-q"]) != 0:
            sys.exit("the sample portal did not build")
        with serve(out) as base, chromium() as browser:
            for width, height in SIZES.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                for name, path in PAGES.items():
                    page.goto(base + path)
                    if name == "tim-kiem":
                        page.wait_for_function("document.getElementById('search-app').dataset.state === 'done'")
                    target = OUT / f"{name}-{width}.png"
                    page.screenshot(path=str(target))
                    print(target.relative_to(REPO))
                page.close()


if __name__ == "__main__":
    main()
