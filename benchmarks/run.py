#!/usr/bin/env python3
"""Build-time benchmark: cold, nothing-changed and one-edit builds of generated corpora.

    python benchmarks/run.py --articles 1000 10000 [100000] [--compare] [--work /tmp/portal-bench]

For each size: writes the corpus of ../shared/bench/make_corpus.py (reused when present), then runs
`build.py --no-search` three times as separate processes (search indexing is measured by
benchmarks/search.py):
  cold       no output/, no .cache/
  no-change  the same sources again
  one-edit   one article's body edited (the median of --edits rebuilds, each editing another article)
and prints wall time, pages per second, peak memory (max RSS of the build process) and output
size. With --compare, Hugo (anchors/hugo-fast and anchors/hugo, from the pinned `hugo` package)
and Pelican (anchors/pelican) build the same corpus in the same run, and the ratios are printed
(for corpora up to --compare-up-to articles: Pelican takes many minutes at 100,000). With
--rounds N the three cold builds are run N times in turn (portal, Hugo, Pelican, portal, …) and
the median of each round's ratio is printed: on a shared machine whose speed drifts, builds run
side by side compare better than single runs.
`pip install -r benchmarks/requirements.txt` installs them.
With --photos K, each size is also built from a corpus whose first K articles carry a
2000×1333 camera-like photo (make_corpus.py --photos), and the run prints the cold build with and
without photos, the cost per photo ((with − without) ÷ K), peak memory, an edit of an article with
a photo (how many photos it made again: none is the target), and with --compare Hugo's image
anchor (anchors/hugo-images: the same photos at 480/960/1440/1600 px in WebP and JPEG) on the
same photos in the same run, with the ratio of its time to the portal's cost. When the run has two sizes, the ratio
of their cold times is printed too (the scaling target is 100,000 ≤ 12 × 10,000).
Outputs and caches are moved aside before a cold build and deleted when the run ends, never
just before a timed build (see corpus.set_aside: on this machine's disk that would time the
deletion). Nothing here is asserted by tests.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpus import MAKE_CORPUS, child_env, empty_trash, make_site, set_aside, wait_for_disk  # noqa: E402

ANCHORS = MAKE_CORPUS.parent / "anchors"


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) // 1024


def size_of(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def portal_command(root: Path) -> list[str]:
    return [sys.executable, str(REPO / "build.py"), "--root", str(root), "--no-search", "-q"]


def portal_cold(root: Path, work: Path) -> tuple[float, int]:
    """A build with no output/ and no .cache/ (set aside, not deleted: see corpus.set_aside)."""
    set_aside(root / "output", work)
    set_aside(root / ".cache", work)
    return timed(portal_command(root))


def portal(root: Path, edits: int, work: Path) -> dict[str, tuple[float, int]]:
    build = portal_command(root)
    results = {"cold": portal_cold(root, work), "no-change": timed(build)}
    articles = sorted((root / "content").rglob("*.md"))
    times = []
    count = len(articles)
    # a different article each time: from the middle of the archive, the newest month, the oldest…
    spots = [count // 2, count - 1, 0, count // 4, 3 * count // 4]
    for n in range(edits):
        target = articles[(spots[n % len(spots)] + n // len(spots)) % count]
        target.write_text(target.read_text(encoding="utf-8") + f"\nĐoạn sửa lúc {time.time()}.\n", encoding="utf-8")
        times.append(timed(build))
    results["one-edit"] = sorted(times)[len(times) // 2]        # the median
    results["edits"] = times
    return results


def _tree(pid: int) -> list[int]:
    """`pid` and every process under it."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except OSError:
            pass
    return found


def _pss(pid: int) -> int:
    """Proportional set size in KiB (pages shared after a fork counted once across the processes)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed_tree(command: list[str]) -> tuple[float, int]:
    """Wall seconds and the peak memory (MiB) of the process and all its workers together,
    sampled every 0.2 s as the sum of their proportional set sizes (Linux only)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    while child.poll() is None:
        peak = max(peak, sum(_pss(pid) for pid in _tree(child.pid)))
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{child.stderr.read()[-2000:]}")
    return seconds, peak // 1024


def photo_run(count: int, photos: int, plain_cold: float, compare: bool, work: Path) -> None:
    """Cold build of the same corpus with `photos` photos, the cost per photo, an edit of an
    article with a photo, and (with `compare`) Hugo's image anchor on the same photos."""
    root = make_site(work / f"corpus-{count}-photos-{photos}", count, photos=photos)
    set_aside(root / "output", work)
    set_aside(root / ".cache", work)
    cold, peak = timed_tree(portal_command(root))
    per_photo = (cold - plain_cold) / photos
    print(f"\n## {count} articles, {photos} with a 2000×1333 photo")
    print(f"portal cold, photos    {cold:7.2f} s  peak {peak} MiB (all its processes together)")
    print(f"portal cold, none      {plain_cold:7.2f} s  (the same corpus without photos, above)")
    print(f"cost per photo         {per_photo:7.3f} s  ((with − without) ÷ {photos})")
    with_photo = sorted((root / "content").rglob("*-anh.jpg"))[0]
    article = next(p for p in with_photo.parent.glob("*.md") if with_photo.name in p.read_text(encoding="utf-8"))
    article.write_text(article.read_text(encoding="utf-8") + f"\nĐoạn sửa lúc {time.time()}.\n", encoding="utf-8")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--no-search"],
                          env=child_env(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    made = re.search(r"(\d+) photo\(s\) resized", done.stdout)
    print(f"edit, article w/ photo {seconds:7.2f} s  {made.group(1) if made else 0} photo(s) made again "
          f"(exit {done.returncode})")
    if compare:
        site = work / f"hugo-images-{photos}"
        if not site.exists():
            shutil.copytree(ANCHORS / "hugo-images", site)
            (site / "assets" / "img").mkdir(parents=True, exist_ok=True)
            for jpeg in (root / "content").rglob("*-anh.jpg"):
                shutil.copy(jpeg, site / "assets" / "img" / jpeg.name)
        set_aside(site / "resources", work)             # Hugo's own cache: a cold run
        out = work / f"hugo-images-out-{photos}"
        set_aside(out, work)
        hugo_seconds = timed(["hugo", "--quiet", "-s", str(site), "-d", str(out)])[0]
        print(f"hugo images            {hugo_seconds:7.2f} s  {hugo_seconds / photos:.3f} s a photo; "
              f"hugo ÷ portal cost = {hugo_seconds / (cold - plain_cold):.1f}")


def hugo(root: Path, anchor: str, work: Path) -> float:
    site = work / f"hugo-site-{anchor}"
    if not site.exists():
        shutil.copytree(ANCHORS / anchor, site)
        shutil.copytree(root / "content", site / "content" / "posts")
    out = work / f"hugo-out-{anchor}"
    set_aside(out, work.parent)
    return timed(["hugo", "--quiet", "-s", str(site), "-d", str(out)])[0]


def pelican(count: int, work: Path) -> float:
    site = work / f"pelican-{count}"
    if not (site / "content").exists():
        site.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(MAKE_CORPUS), str(site / "content"), "--articles", str(count),
                        "--format", "pelican"], check=True, stdout=subprocess.DEVNULL)
        shutil.copy(ANCHORS / "pelican" / "pelicanconf.py", site / "pelicanconf.py")
    out = work / f"pelican-out-{count}"
    set_aside(out, work.parent)
    return timed(["pelican", "content", "-s", "pelicanconf.py", "-o", str(out), "-q"], cwd=site)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--compare", action="store_true", help="also time Hugo and Pelican on the same corpus")
    parser.add_argument("--edits", type=int, default=5, metavar="N",
                        help="time N one-edit rebuilds (a different article each) and report the median")
    parser.add_argument("--compare-up-to", type=int, default=10000, metavar="N",
                        help="compare with Hugo and Pelican only for corpora of at most N articles")
    parser.add_argument("--rounds", type=int, default=1, metavar="N",
                        help="with --compare, time the cold builds N times in turn and print the median ratios")
    parser.add_argument("--photos", type=int, default=0, metavar="K",
                        help="also build each size with K photos and print the cost per photo")
    parser.add_argument("--work", type=Path, default=Path("/tmp/portal-bench"))
    args = parser.parse_args()
    print(f"# {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    wait_for_disk(args.work)
    colds: dict[int, float] = {}
    for count in args.articles:
        root = make_site(args.work / f"corpus-{count}", count)
        results = portal(root, args.edits, args.work)
        edits = results.pop("edits")
        files, size = size_of(root / "output")
        pages = sum(1 for _ in (root / "output").rglob("*.html"))
        cold, peak = results["cold"]
        colds[count] = cold
        print(f"\n## {count} articles: {pages} HTML pages, {files} files, {size / 1024 / 1024:.0f} MB")
        for name, (seconds, rss) in results.items():
            print(f"portal {name:<10} {seconds:7.2f} s  {pages / seconds:8.0f} pages/s  peak {rss} MiB")
        if len(edits) > 1:
            print(f"  one-edit, median of {len(edits)}: {', '.join(f'{s:.2f}' for s, _ in edits)} s")
        if args.compare and count <= args.compare_up_to:
            fast = hugo(root, "hugo-fast", args.work / f"anchors-{count}")
            related = hugo(root, "hugo", args.work / f"anchors-{count}")
            pel = pelican(count, args.work / f"anchors-{count}")
            print(f"hugo-fast         {fast:7.2f} s   portal/hugo-fast = {cold / fast:.2f}")
            print(f"hugo (related)    {related:7.2f} s   portal/hugo      = {cold / related:.2f}")
            print(f"pelican           {pel:7.2f} s   pelican/portal   = {pel / cold:.2f}")
            if args.rounds > 1:
                rounds = [(cold, fast, pel)]
                for _ in range(args.rounds - 1):
                    again = portal_cold(root, args.work)[0]
                    rounds.append((again, hugo(root, "hugo-fast", args.work / f"anchors-{count}"),
                                   pelican(count, args.work / f"anchors-{count}")))
                print(f"cold builds in turn, {args.rounds} rounds (portal, hugo-fast, pelican):")
                for n, (p, h, pe) in enumerate(rounds, 1):
                    print(f"  round {n}: portal {p:6.2f} s  hugo-fast {h:6.2f} s  pelican {pe:6.2f} s  "
                          f"portal/hugo-fast = {p / h:.2f}  pelican/portal = {pe / p:.2f}")
                print(f"  median: portal {median([r[0] for r in rounds]):.2f} s, "
                      f"portal/hugo-fast = {median([r[0] / r[1] for r in rounds]):.2f}, "
                      f"pelican/portal = {median([r[2] / r[0] for r in rounds]):.2f}")
        if args.photos:
            photo_run(count, args.photos, cold, args.compare, args.work)
    empty_trash(args.work)         # after every timing: see corpus.set_aside
    sizes = sorted(colds)
    for small, large in zip(sizes, sizes[1:]):
        print(f"\ncold {large} / cold {small} = {colds[large] / colds[small]:.2f} "
              f"({large / small:.0f} times the articles)")


if __name__ == "__main__":
    main()
