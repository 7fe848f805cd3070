"""Write stage: fingerprinted assets and an output folder that is never half-written."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from .errors import Diagnostic

ASSETS_DIR = "assets"


def fingerprint_assets(root: Path) -> tuple[dict[str, str], dict[str, Path]]:
    """Map each file of assets/ to a content-hashed output path.

    "style.css" -> "assets/style.1a2b3c4d.css": the name changes when the bytes
    do, so a server may tell browsers to cache assets for a year.
    """
    base = root / ASSETS_DIR
    names: dict[str, str] = {}
    sources: dict[str, Path] = {}
    if not base.is_dir():
        return names, sources
    for path in sorted(p for p in base.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rel = path.relative_to(base).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        stem, dot, ext = rel.rpartition(".")
        hashed = f"{stem}.{digest}.{ext}" if dot and stem else f"{rel}.{digest}"
        names[rel] = f"{ASSETS_DIR}/{hashed}"
        sources[f"{ASSETS_DIR}/{hashed}"] = path
    return names, sources


def check_output_dir(root: Path, out: Path) -> list[Diagnostic]:
    """Refuse output folders whose replacement would destroy sources."""
    root, out = root.resolve(), out.resolve()
    shown = str(out)
    if out == root or root.is_relative_to(out):
        return [Diagnostic(shown, "output", "is the site folder or contains it; choose a folder such as output/")]
    for name in ("content", "templates", "assets", ".git"):
        if out.is_relative_to(root / name):
            return [Diagnostic(shown, "output", f"is inside {name}/; choose a folder such as output/")]
    # An existing folder that looks like a site or a repository is not a build
    # result: replacing it would delete someone's work.
    for name in ("site.yaml", ".git", "content", "templates"):
        if (out / name).exists():
            return [Diagnostic(shown, "output", f"contains {name}; choose a folder such as output/")]
    return []


def write_output(out: Path, files: dict[str, bytes], copies: dict[str, Path]) -> int:
    """Write the whole site into a staging folder, then swap it in for `out`.

    A build that fails before this point never touches `out`; one that fails
    while writing leaves `out` as it was, because only the finished staging
    folder replaces it (two renames on the same file system).
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.tmp-{os.getpid()}"
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    for leftover in (staging, old):
        if leftover.exists():
            shutil.rmtree(leftover)
    try:
        made: set[Path] = set()
        for rel, data in files.items():
            target = staging / rel
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            target.write_bytes(data)
        for rel, source in copies.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        if out.exists():
            os.rename(out, old)
        try:
            os.rename(staging, out)
        except OSError:
            if old.exists():
                os.rename(old, out)
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return len(files) + len(copies)
