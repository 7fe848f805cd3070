#!/usr/bin/env python3
"""This tree's build against another commit's, in alternating rounds on the same corpus.

    python benchmarks/versus.py REF [--articles 10000] [--rounds 5] [--edits 3] [--work /tmp/portal-bench]

A refactoring must keep the build's speed. REF (a commit, e.g. the one before the change) is
checked out into a git worktree under --work; then, each round, both trees build the same corpus
cold (`build.py --no-search`, output/ and .cache/ set aside, never deleted right before a build:
see corpus.set_aside) and once more after an edit, REF first in odd rounds and this tree first in
even ones, so a drift of the machine's speed falls on both. Prints every round and the medians.
Nothing here is asserted by tests.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpus import empty_trash, make_site, set_aside, wait_for_disk  # noqa: E402
from benchmarks.run import timed  # noqa: E402


def worktree(ref: str, work: Path) -> Path:
    """A checkout of `ref` under `work` (made once per commit)."""
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", ref], check=True,
                            capture_output=True, text=True).stdout.strip()
    tree = work / f"tree-{commit}"
    if not tree.exists():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), commit], check=True,
                       capture_output=True)
    return tree


def one_round(tree: Path, site: Path, work: Path) -> tuple[float, float]:
    """Cold and one-edit build times of `site` with the build.py of `tree`."""
    command = [sys.executable, str(tree / "build.py"), "--root", str(site), "--no-search", "-q"]
    set_aside(site / "output", work)
    set_aside(site / ".cache", work)
    cold, _ = timed(command)
    article = sorted((site / "content").rglob("*.md"))[len(list((site / "content").rglob("*.md"))) // 2]
    article.write_text(article.read_text(encoding="utf-8") + f"\nĐoạn sửa lúc {time.time()}.\n", encoding="utf-8")
    edit, _ = timed(command)
    return cold, edit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref")
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/portal-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    before = worktree(args.ref, args.work)
    # one corpus per tree: the same articles, each tree with its own theme and cache
    sites = {"before": make_site(args.work / f"versus-before-{args.articles}", args.articles),
             "after": make_site(args.work / f"versus-after-{args.articles}", args.articles)}
    for name in ("templates", "assets"):      # the old tree's theme for the old build
        subprocess.run(["rm", "-rf", str(sites["before"] / name)], check=True)
        subprocess.run(["cp", "-r", str(before / name), str(sites["before"] / name)], check=True)
    wait_for_disk(args.work)
    times: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
    print(f"# {args.ref} ({before.name}) against this tree, {args.articles} articles, {args.rounds} rounds")
    for n in range(args.rounds):
        order = ("before", "after") if n % 2 == 0 else ("after", "before")
        for name in order:
            tree = before if name == "before" else REPO
            times[name].append(one_round(tree, sites[name], args.work))
        print(f"round {n + 1}: before cold {times['before'][-1][0]:.2f} s, edit {times['before'][-1][1]:.2f} s; "
              f"after cold {times['after'][-1][0]:.2f} s, edit {times['after'][-1][1]:.2f} s", flush=True)
    for name in ("before", "after"):
        print(f"{name:<6} median cold {median(c for c, _ in times[name]):.2f} s, "
              f"median one edit {median(e for _, e in times[name]):.2f} s")
    ratio = median(a[0] / b[0] for a, b in zip(times["after"], times["before"]))
    print(f"after / before, cold, median of the rounds' ratios: {ratio:.3f}")
    empty_trash(args.work)


if __name__ == "__main__":
    main()
