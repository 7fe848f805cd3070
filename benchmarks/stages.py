#!/usr/bin/env python3
"""Where a cold build's time goes: each stage's time per article or per page, on one core.

    python benchmarks/stages.py [--articles 10000] [--check] [--all-cores] [--work /tmp/portal-bench]

Builds the generated corpus once from nothing (no output/, no .cache/, no search index) with the
process pinned to one core, so the stages run serially and their times add up to the build's
CPU cost; then prints each stage's total and its cost per article (load, Markdown) or per page
(group, render and write). Divide by the cores of a machine for a rough wall-clock figure.
With --check nothing is written (`build.py check`): the render stage is then the CPU's work
alone, without the disk's (benchmarks/disk.py).
With --all-cores the build runs as `build.py` does, on every core, and each stage's wall time is
printed beside the CPU time of the build process and of its workers: a stage whose CPU time is
close to cores × wall keeps every core busy, and the build process's own time is what does not
run in parallel.
Nothing here is asserted by tests.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import empty_trash, make_site, set_aside, wait_for_disk  # noqa: E402
from sitegen.parallel import workers  # noqa: E402
from sitegen.pipeline import BuildOptions, build  # noqa: E402

PER_ARTICLE = {"load", "markdown"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--check", action="store_true", help="write nothing: time the CPU's work alone")
    parser.add_argument("--all-cores", action="store_true",
                        help="build on every core and print each stage's wall and CPU time")
    parser.add_argument("--work", type=Path, default=Path("/tmp/portal-bench"))
    args = parser.parse_args()
    wait_for_disk(args.work)
    root = make_site(args.work / f"corpus-{args.articles}", args.articles)
    set_aside(root / "output", args.work)     # not deleted: see corpus.set_aside
    set_aside(root / ".cache", args.work)
    if args.all_cores:
        start = time.perf_counter()
        result = build(BuildOptions(root=root, output=root / "output", search=False), write=not args.check)
        wall = time.perf_counter() - start
        print(f"# {platform.node()}, {workers()} cores, Python {platform.python_version()}: {result.articles} "
              f"articles, {result.pages} pages{', nothing written' if args.check else ''}")
        print(f"{'stage':<11} {'wall':>7}   {'CPU: build':>10} {'workers':>8}")
        for (name, seconds), (_, own, children) in zip(result.timings, result.cpu):
            print(f"{name:<11} {seconds:7.2f} s {max(own, 0.0):10.2f} s {max(children, 0.0):7.2f} s")
        own, children = (max(sum(c[n] for c in result.cpu), 0.0) for n in (1, 2))     # no "-0.00"
        print(f"{'total':<11} {wall:7.2f} s {own:10.2f} s {children:7.2f} s")
        empty_trash(args.work)
        return
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
