#!/usr/bin/env python3
"""Instructions a cold build executes: a measure of the code's cost that the machine's moment
does not move.

    python benchmarks/instructions.py [--articles 1000] [--source DIR] [--work /tmp/portal-bench]

Builds the generated corpus from nothing (no .cache/) on one core without writing (as
`stages.py --check` does) under Valgrind's cachegrind, and prints the number of instructions
the build process executed, with the build's own stage times (slowed some 50 times by
Valgrind: only their shares mean something). On this shared 2-core machine, wall and CPU
times of the same build drift by 15 % and more from one minute to the next (docs/performance.md),
which hides a change worth a few percent; the instruction count of the same build repeats to
within 0.3 %. To compare two versions, measure the other one with --source, a checkout of it
(`git worktree add /tmp/before HEAD~1`, then `--source /tmp/before`: its sitegen/ and its
theme are built). Instructions are not time (a regex scan and a cache
miss cost differently), so a change is still confirmed with `run.py` before it is claimed.
Needs `valgrind` (Debian: apt-get install valgrind). Nothing here is asserted by tests.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpus import empty_trash, make_site, set_aside  # noqa: E402

# What runs under Valgrind: the cold check build of one site, pinned to one core (no workers, so
# every instruction is in the one process Valgrind counts).
BUILD = """
import os, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from sitegen.pipeline import BuildOptions, build
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
root = Path(sys.argv[2])
result = build(BuildOptions(root=root, output=root / "output", search=False), write=False)
print("stages", " ".join(f"{name}={seconds:.3f}" for name, seconds in result.timings))
print("pages", result.pages)
"""


def instructions(report: str) -> int:
    """The instruction count in cachegrind's summary ("I   refs:      9,909,099,172")."""
    found = re.search(r"I\s+refs:\s+([\d,]+)", report)
    if found is None:
        raise ValueError("no instruction count in Valgrind's report")
    return int(found.group(1).replace(",", ""))


def count(root: Path, source: Path = REPO) -> tuple[int, str]:
    """Instructions of a cold check build of the site at `root` by the sitegen of `source`, and
    what the build printed."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("valgrind not found: apt-get install valgrind")
    # the interpreter itself, not a launcher script (pyenv's shims exec the real one, and
    # Valgrind would count the shell)
    python = os.path.realpath(sys.executable)
    # The real interpreter does not know it belongs to a virtual environment (Python finds the
    # environment from the path it was started by): it is given this one's packages.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(site.getsitepackages()))
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run([valgrind, "--tool=cachegrind", "--cache-sim=no",
                               f"--cachegrind-out-file={scratch}/cachegrind.out",
                               python, "-c", BUILD, str(source), str(root)],
                              capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        sys.exit(f"the build failed under valgrind:\n{done.stderr[-2000:]}")
    return instructions(done.stderr), done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--source", type=Path, default=REPO,
                        help="the checkout whose sitegen/ and templates/ are measured (default: this one)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/portal-bench"))
    args = parser.parse_args()
    source = args.source.resolve()
    root = make_site(args.work / f"corpus-{args.articles}", args.articles)
    for name in ("templates", "assets"):        # the theme of the version measured
        shutil.rmtree(root / name)
        shutil.copytree(source / name, root / name)
    set_aside(root / ".cache", args.work)
    total, printed = count(root, source)
    set_aside(root / ".cache", args.work)       # a later timed build must start cold too
    empty_trash(args.work)
    pages = re.search(r"^pages (\d+)$", printed, re.M)
    stages = re.search(r"^stages (.*)$", printed, re.M)
    print(f"# {source} at {_commit(source)}: {args.articles} articles, {pages.group(1) if pages else '?'} pages, "
          "one core, nothing written, under cachegrind")
    print(f"instructions {total:,}")
    print(f"per article  {total // max(args.articles, 1):,}")
    if stages:
        times = dict(item.split("=") for item in stages.group(1).split())
        whole = sum(float(t) for t in times.values()) or 1.0
        print("shares       " + ", ".join(f"{name} {float(t) / whole:.0%}" for name, t in times.items()
                                          if float(t) / whole >= 0.005))


def _commit(source: Path) -> str:
    done = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain", "--", "sitegen", "templates"],
                           capture_output=True, text=True).stdout.strip()
    return (done.stdout.strip() or "?") + (" (with uncommitted changes)" if dirty else "")


if __name__ == "__main__":
    main()
