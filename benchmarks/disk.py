#!/usr/bin/env python3
"""How long this machine's disk takes to write a site's files: one page per folder, as a build does.

    python benchmarks/disk.py [--files 13600] [--size 13000] [--rounds 3] [--delete] [--work /tmp/portal-bench]

Writes --files files of --size bytes, each in its own folder (YYYY/MM/slug/index.html, like an
article page), into a fresh folder under --work, and prints the wall and system time of each
round. Between rounds the folder is set aside (renamed, deleted at the end), or with --delete
deleted, which shows what deleting a site's files costs the next build on this machine's disk
(corpus.set_aside). A 10,000-article build writes about 13,600 such files, so this is the part
of a cold build that no change to the generator can shorten. Nothing here is asserted by tests.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import empty_trash, note_deletion, set_aside, wait_for_disk  # noqa: E402


def write_files(base: Path, count: int, data: bytes) -> None:
    for n in range(count):
        folder = base / f"{2010 + n // 1000}" / f"{n // 100 % 12 + 1:02d}" / f"bai-{n:06d}"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "index.html", "wb") as handle:
            handle.write(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=13600)
    parser.add_argument("--size", type=int, default=13000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/portal-bench"))
    parser.add_argument("--delete", action="store_true",
                        help="delete each round's files before the next round (default: set them aside)")
    args = parser.parse_args()
    base = args.work / "disk-check"
    data = b"x" * args.size
    print(f"# {platform.node()}, {time.strftime('%Y-%m-%d %H:%M')}: {args.files} files of {args.size} bytes, "
          f"one folder each, under {args.work}, "
          f"{'deleted' if args.delete else 'set aside'} between rounds")
    wait_for_disk(args.work)
    shutil.rmtree(base, ignore_errors=True)
    for round_ in range(1, args.rounds + 1):
        if args.delete:
            shutil.rmtree(base, ignore_errors=True)
            note_deletion(args.work)
        else:
            set_aside(base, args.work)
        base.mkdir(parents=True)
        before, start = os.times(), time.perf_counter()
        write_files(base, args.files, data)
        wall, after = time.perf_counter() - start, os.times()
        print(f"round {round_}: {wall:6.2f} s wall, {after.system - before.system:6.2f} s system, "
              f"{wall / args.files * 1000:.3f} ms a file")
    shutil.rmtree(base, ignore_errors=True)
    note_deletion(args.work)
    empty_trash(args.work)


if __name__ == "__main__":
    main()
