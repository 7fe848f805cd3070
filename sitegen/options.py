"""BuildOptions: what the command line (or the preview server) asks a build for."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .admin import LocalBackend


@dataclass(frozen=True)
class BuildOptions:
    """What the command line asked for."""

    root: Path
    output: Path
    strict: bool = False
    drafts: bool = False
    future: bool = False          # --future: articles dated later than now are published too (preview)
    search: bool = True
    base_url: str | None = None   # --base-url: overrides site.yaml, e.g. for a GitHub Pages sub-path
    admin_local: LocalBackend | None = None   # serve --admin: the web editor saves through decap-server here
