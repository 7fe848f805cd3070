"""Publish stage: what output/ must hold, what of it changed, and the swap that makes it so.

Nothing of output/ changes before swap_in(), which the build calls once every other stage has
succeeded: a cold build moves the staging folder into place; a rebuild moves in only the files
that changed and deletes those nothing makes any more.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ..models import Page
from ..render import Rendered
from ..search import IndexReport, SearchIndex
from ..write import commit_changes, plan_copies, stage_copies, swap_output


@dataclass(frozen=True)
class Compared:
    """The files the site is made of, those that changed, and every file's key (the manifest)."""

    expected: set[str]
    changed: set[str]
    manifest: dict[str, str]


def compare(out: Path, staging: Path, pages: list[Page], copies: dict[str, Path], rendered: list[Rendered],
            known: dict[str, str]) -> Compared:
    """Stage the copied files whose bytes changed; `known` is the last build's manifest."""
    expected = {p.route.file for p in pages} | set(copies)
    copy_now, manifest = plan_copies(out, copies, known)
    changed = {r.rel for r in rendered if r.written}
    for r in rendered:
        manifest[r.rel] = r.key
    for rel in expected - manifest.keys():       # pages not rendered: unchanged on disk
        manifest[rel] = known[rel]
    stage_copies(staging, copy_now)
    changed |= copy_now.keys()
    return Compared(expected, changed, manifest)


def swap_in(out: Path, staging: Path, compared: Compared, known: dict[str, str], search_index: SearchIndex,
            index: IndexReport | None) -> int:
    """Make output/ the new site (and its search index, or none); how many files were deleted."""
    if not out.exists():
        if index is not None:
            search_index.publish(staging / "pagefind", index)
        swap_output(staging, out)
        return 0
    deleted = commit_changes(out, staging, compared.changed, compared.expected, known, keep=("pagefind",))
    if index is not None:
        search_index.publish(out / "pagefind", index)
    else:
        shutil.rmtree(out / "pagefind", ignore_errors=True)
    return deleted
