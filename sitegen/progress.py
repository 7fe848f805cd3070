"""Progress of a build: a bar per stage on a terminal (tqdm), plain lines elsewhere, nothing with -q."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator


class Progress:
    """`with progress.stage("markdown", 10000) as tick: … tick()` for every item."""

    def __init__(self, mode: str = "off"):
        self.mode = mode            # "bar" (a terminal), "lines" (CI, pipes) or "off"

    @classmethod
    def for_stream(cls, quiet: bool, stream=sys.stderr) -> "Progress":
        if quiet:
            return cls("off")
        return cls("bar" if stream.isatty() else "lines")

    @contextmanager
    def stage(self, name: str, total: int) -> Iterator[Callable[[], None]]:
        if self.mode == "off" or total == 0:
            yield lambda: None
        elif self.mode == "lines":
            print(f"{name}: {total}…", flush=True)     # stdout: stderr is for problems
            yield lambda: None
        else:
            from tqdm import tqdm

            with tqdm(total=total, desc=f"{name:<9}", unit="", leave=False, file=sys.stderr,
                      mininterval=0.2, dynamic_ncols=True) as bar:
                yield bar.update


SILENT = Progress("off")
