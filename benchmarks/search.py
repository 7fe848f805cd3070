#!/usr/bin/env python3
"""Time the Pagefind index stage and measure the index, for generated corpora.

    python benchmarks/search.py --articles 1000 10000 [--work /tmp/portal-bench]

Prints one line per corpus: articles, index time, index size, files. Timings are
for this machine; nothing here is asserted by the tests.
"""
from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import make_site  # noqa: E402
from sitegen.pipeline import BuildOptions, build  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/portal-bench"))
    args = parser.parse_args()
    print(f"# {platform.node()} {platform.machine()}, Python {platform.python_version()}")
    print(f"{'articles':>9} {'index time':>11} {'index size':>11} {'files':>7} {'pages':>7}")
    for count in args.articles:
        root = make_site(args.work / f"corpus-{count}", count)
        result = build(BuildOptions(root=root, output=root / "output", search=True))
        seconds = dict(result.timings)["search"]
        index = result.index
        print(f"{count:>9} {seconds:>10.2f}s {index.bytes / 1024 / 1024:>9.1f}MB {index.files:>7} {index.pages:>7}")


if __name__ == "__main__":
    main()
