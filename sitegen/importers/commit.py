"""The last stage of an import: every planned file written into content/, or none."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..load import CONTENT_DIR
from .record import Planned


def commit(root: Path, files: list[Planned], force: bool) -> None:
    """Write every planned file into content/ or none: staged in content/.import-<pid>/ (same
    file system: each move is a rename), then moved into place; an error moves back what was
    moved and restores what --force replaced."""
    content = root / CONTENT_DIR
    staging = content / f".import-{os.getpid()}"
    backup = staging / ".replaced"
    moved: list[tuple[Path, Path | None]] = []
    try:
        for planned in files:
            target = staging / planned.rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if planned.copy_from is not None:
                shutil.copyfile(planned.copy_from, target)
            elif planned.data is not None:
                target.write_bytes(planned.data)
            else:
                target.write_text(planned.text, encoding="utf-8", newline="\n")
        for planned in files:
            final = content / planned.rel
            kept = None
            if final.exists():
                if not (force and planned.replaces):
                    raise FileExistsError(f"{CONTENT_DIR}/{planned.rel}: file: appeared while importing; "
                                          "nothing was written")
                kept = backup / planned.rel
                kept.parent.mkdir(parents=True, exist_ok=True)
                os.replace(final, kept)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / planned.rel, final)
            moved.append((final, kept))
    except BaseException:
        for final, kept in reversed(moved):
            try:
                if kept is not None:
                    os.replace(kept, final)
                else:
                    final.unlink()
            except OSError:
                pass
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
