#!/usr/bin/env python3
"""Where a cold build's time goes: each stage's time per article or per page, on one core.

    python benchmarks/stages.py [--articles 10000] [--check] [--work /tmp/portal-bench]

Builds the generated corpus once from nothing (no output/, no .cache/, no search index) with the
process pinned to one core, so the stages run serially and their times add up to the build's
CPU cost; then prints each stage's total and its cost per article (load, Markdown) or per page
(group, render and write). Divide by the cores of a machine for a rough wall-clock figure.
With --check nothing is written (`build.py check`): the render stage is then the CPU's work
alone, without the disk's, whose speed on a shared machine moves a lot (benchmarks/disk.py).
Nothing here is asserted by tests.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import empty_trash, make_site, set_aside, wait_for_disk  # noqa: E402
from sitegen.pipeline import BuildOptions, build  # noqa: E402

PER_ARTICLE = {"load", "markdown"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--check", action="store_true", help="write nothing: time the CPU's work alone")
    parser.add_argument("--work", type=Path, default=Path("/tmp/portal-bench"))
    args = parser.parse_args()
    wait_for_disk(args.work)
    root = make_site(args.work / f"corpus-{args.articles}", args.articles)
    set_aside(root / "output", args.work)     # not deleted: see corpus.set_aside
    set_aside(root / ".cache", args.work)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})     # one core: no workers
    result = build(BuildOptions(root=root, output=root / "output", search=False), write=not args.check)
    print(f"# {platform.node()}, one core, Python {platform.python_version()}: {result.articles} articles, "
          f"{result.pages} pages{', nothing written' if args.check else ''}")
    total = sum(seconds for _, seconds in result.timings)
    for name, seconds in result.timings:
        count, unit = (result.articles, "article") if name in PER_ARTICLE else (result.pages, "page")
        print(f"{name:<11} {seconds:8.2f} s  {seconds / count * 1000:7.3f} ms per {unit}")
    print(f"{'total':<11} {total:8.2f} s")
    empty_trash(args.work)


if __name__ == "__main__":
    main()
