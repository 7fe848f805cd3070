"""Benchmark sites: the shared corpus generator's articles with this repository's theme."""
from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAKE_CORPUS = REPO.parent / "shared" / "bench" / "make_corpus.py"


def child_env(**extra: str) -> dict[str, str]:
    """The environment for timed builds: this one, with Python writing its bytecode cache.

    A shell with PYTHONDONTWRITEBYTECODE set (this machine's has it) makes every Python process
    compile the modules that are not installed from their source again: for build.py, its whole
    package (~0.15 s a process, measured 2026-11-25), for Pelican, its own. A portal's server or an
    editor's machine runs with Python's default, bytecode kept in __pycache__/, so the timed builds do.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def make_site(root: Path, articles: int, seed: int = 1, photos: int = 0) -> Path:
    """Write a site of `articles` generated articles into `root` (reused when already there); the
    first `photos` of them with a camera-sized photo (make_corpus.py --photos)."""
    marker = root / f".corpus-{articles}-{seed}" if not photos else root / f".corpus-{articles}-{seed}-{photos}"
    if not marker.exists():
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        if not MAKE_CORPUS.exists():
            sys.exit(f"{MAKE_CORPUS} not found: benchmarks need ../shared/bench/ beside the repository")
        subprocess.run([sys.executable, str(MAKE_CORPUS), str(root / "content"), "--articles", str(articles),
                        "--seed", str(seed)] + (["--photos", str(photos)] if photos else []),
                       check=True, stdout=subprocess.DEVNULL)
    # the articles are reused; the theme and settings always come fresh from the repository
    for name in ("templates", "assets"):
        shutil.rmtree(root / name, ignore_errors=True)
        shutil.copytree(REPO / name, root / name)
    # Generated titles repeat within a month (the corpus is random text); like Hugo on the
    # same corpus, the file name is the slug.
    config = (REPO / "site.yaml").read_text(encoding="utf-8")
    (root / "site.yaml").write_text(config + "\nslug_source: file\n", encoding="utf-8")
    marker.touch()
    return root


def set_aside(folder: Path, work: Path) -> None:
    """Move `folder` (a build's output or cache) out of the way, into work/trash/, instead of
    deleting it.

    This machine's disk is ext4 without a journal, and such an ext4 will not reuse an inode freed
    in the last five minutes: right after 27,000 files and folders are deleted, every new file
    makes the kernel walk past them (`perf` puts 58 % of the time of writing a site's files in
    ext4's find_inode_bit and recently_deleted). A build timed just after deleting the previous
    output measured the deletion, not the generator, and it hit Hugo and the portal alike. A
    rename frees no inode; `empty_trash` deletes everything once the timing is over.
    """
    if not folder.exists():
        return
    trash = work / "trash"
    trash.mkdir(parents=True, exist_ok=True)
    for n in itertools.count():
        target = trash / f"{folder.name}-{os.getpid()}-{n}"
        if not target.exists():
            os.rename(folder, target)
            return


RECENT = 300    # seconds during which this disk's ext4 will not reuse a freed inode


def empty_trash(work: Path) -> None:
    """Delete what set_aside moved away (after the timings: see set_aside), and note when."""
    if (work / "trash").exists():
        shutil.rmtree(work / "trash", ignore_errors=True)
        note_deletion(work)


def note_deletion(work: Path) -> None:
    """Remember that many files under `work` were just deleted (wait_for_disk reads it)."""
    work.mkdir(parents=True, exist_ok=True)
    (work / ".trash-emptied").touch()


def wait_for_disk(work: Path) -> None:
    """Before timing anything, wait until the last empty_trash is RECENT seconds old, so that
    one benchmark's clean-up does not slow the next one's builds (see set_aside)."""
    try:
        left = RECENT - (time.time() - (work / ".trash-emptied").stat().st_mtime)
    except OSError:
        return
    if left > 0:
        print(f"# waiting {left:.0f} s: files were deleted under {work} less than {RECENT} s ago", flush=True)
        time.sleep(left)
