"""The incremental check: a build whose inputs (every source file's identity and the options) are
those of the last build, while no scheduled or expiring article has come due, has nothing to do."""
from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

from ..cache import input_fingerprint, read_inputs, write_inputs
from ..dates import Moment
from ..options import BuildOptions
from ..models import Article

SUMMARY = ("articles", "pages", "files", "held_drafts", "held_future", "archived")


def inputs_of(options: BuildOptions, stats: dict | None = None) -> str:
    """The fingerprint of the build's inputs (`stats` receives each source file's identity)."""
    settings = repr((options.strict, options.drafts, options.future, options.search, options.base_url,
                     options.admin_local))
    return input_fingerprint(options.root, settings, stats)


def clock() -> float:
    """The build's notion of now, as a Unix time (SOURCE_DATE_EPOCH when set), like build_time()."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return float(epoch) if epoch.isdigit() else time.time()


def last_summary(options: BuildOptions, out: Path, inputs: str) -> dict | None:
    """The last build's summary figures when it had these inputs and is still valid, else None."""
    previous = read_inputs(options.root, out)
    now = clock()
    if (previous and previous["inputs"] == inputs and out.is_dir()
            and previous.get("valid_from", float("inf")) <= now < previous["valid_until"]):
        return {key: previous[key] for key in SUMMARY}
    return None


def remember(options: BuildOptions, out: Path, inputs: str, now: datetime, articles: list[Article],
             next_time: Moment | None, summary: dict) -> None:
    """Record this build's inputs and figures. Until the next scheduled or expiring article (or a
    new year, shown in the footer) is due, the same inputs give the same site."""
    events = [a.expires.value.timestamp() for a in articles if a.expires is not None]
    if next_time is not None:
        events.append(next_time.value.timestamp())
    events.append(now.replace(year=now.year + 1, month=1, day=1, hour=0, minute=0, second=0).timestamp())
    write_inputs(options.root, out, {"inputs": inputs, "valid_from": now.timestamp(), "valid_until": min(events),
                                     **{key: summary[key] for key in SUMMARY}})
