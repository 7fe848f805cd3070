#!/usr/bin/env python3
"""Time the Pagefind index stage and measure the index, for generated corpora.

    python benchmarks/search.py --articles 1000 10000 [--work /tmp/portal-bench]

Prints one line per corpus: articles, the index time of a first build (no output/, no .cache/),
the index time after one article is edited (Pagefind's bundle kept in .cache/), index size, files.
Timings are for this machine; nothing here is asserted by the tests.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import empty_trash, make_site, set_aside, wait_for_disk  # noqa: E402
from sitegen.pipeline import BuildOptions, build  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/portal-bench"))
    args = parser.parse_args()
    print(f"# {platform.node()} {platform.machine()}, Python {platform.python_version()}")
    print(f"{'articles':>9} {'first index':>12} {'after edit':>11} {'index size':>11} {'files':>7} {'pages':>7}")
    wait_for_disk(args.work)
    for count in args.articles:
        root = make_site(args.work / f"corpus-{count}", count)
        set_aside(root / "output", args.work)     # not deleted: see corpus.set_aside
        set_aside(root / ".cache", args.work)
        options = BuildOptions(root=root, output=root / "output", search=True)
        result = build(options)
        first, index = dict(result.timings)["search"], result.index
        target = sorted((root / "content").rglob("*.md"))[count // 2]
        target.write_text(target.read_text(encoding="utf-8") + f"\nĐoạn sửa lúc {time.time()}.\n", encoding="utf-8")
        again = dict(build(options).timings)["search"]
        print(f"{count:>9} {first:>11.2f}s {again:>10.2f}s {index.bytes / 1024 / 1024:>9.1f}MB {index.files:>7} "
              f"{index.pages:>7}")
    empty_trash(args.work)


if __name__ == "__main__":
    main()
