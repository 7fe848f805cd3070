"""Photos stage: every rendition of the photos the site uses, made once and kept in .cache/images/.

A rendition is named by the photo's bytes, the encoder settings and its width (imaging.cache_name),
so an article edit, a rename or a fresh checkout never makes one again; only a new or changed photo
(or new settings) does. Photos are the longest part of a cold build (0.2 s of CPU each where a
10,000-article site renders in 6 s), so they run on every core, the largest first, one photo per
task: no core waits at the end while the other finishes a long queue.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import Diagnostic
from ..images import CACHE_DIR, ImageInfo
from ..imaging import SETTINGS, ImageError, cache_name, make_renditions
from ..parallel import can_fork, reset_signals, workers
from ..progress import SILENT, Progress

# (content-relative photo, its source file, [(variant, cache file)]) for one task
_Job = tuple[str, Path, list]


def make_photos(root: Path, infos: dict[str, ImageInfo], used: set[str], content_dir: str,
                progress: Progress = SILENT) -> tuple[dict[str, Path], list[Diagnostic], int]:
    """The renditions of the used photos: output path → cached file, the photos that could not
    be made (`file: image: message`), and how many photos were encoded."""
    folder = root / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, Path] = {}
    jobs: list[tuple[int, _Job]] = []
    for rel in sorted(used):
        info = infos.get(rel)
        if info is None or not info.variants:
            continue
        todo = []
        for variant in info.variants:
            cached = folder / cache_name(info.digest, variant)
            outputs[variant.path] = cached
            if not os.path.exists(cached):
                todo.append((variant, cached))
        if todo:
            jobs.append((info.width * info.height, (rel, root / content_dir / rel, todo)))
    jobs.sort(key=lambda job: -job[0])
    problems = []
    with progress.stage("photos", len(jobs)) as tick:
        for rel, message in _run([job for _, job in jobs]):
            tick()
            if message is not None:
                problems.append(Diagnostic(f"{content_dir}/{rel}", "image", message))
                for variant in infos[rel].variants:
                    outputs.pop(variant.path, None)
    return outputs, problems, len(jobs)


def _run(jobs: list[_Job]):
    """(photo, None or the problem) for each job, as they finish: on every core when there is more
    than one photo to make and the platform can fork."""
    count = min(workers(), len(jobs))
    if count < 2 or not can_fork():
        yield from map(_make, jobs)
        return
    import multiprocessing

    # Once every photo is made the workers are told to stop and waited for (close, join); they
    # are ended with SIGTERM (terminate) only if the build stops early.
    pool = multiprocessing.get_context("fork").Pool(count, initializer=reset_signals)
    try:
        yield from pool.imap_unordered(_make, jobs, chunksize=1)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def _make(job: _Job) -> tuple[str, str | None]:
    rel, source, todo = job
    try:
        make_renditions(source, todo)
    except ImageError as err:
        return rel, str(err)
    except Exception as err:            # never a traceback for a photo: its file is named instead
        return rel, f"cannot be converted ({type(err).__name__}: {err}); save it again as JPEG or PNG"
    return rel, None


def prune(root: Path, infos: dict[str, ImageInfo]) -> int:
    """Delete the cached renditions of photos no longer in content/, or made with other settings
    (the cache would otherwise grow with every replaced photo). Those of a photo that is in
    content/ but unused (its article a draft for now) are kept. Returns how many were deleted."""
    folder = root / CACHE_DIR
    keep = {info.digest for info in infos.values() if info.digest}
    deleted = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    for name in names:
        digest, _, rest = name.partition("-")
        if digest in keep and rest.startswith(SETTINGS + "-") and not name.endswith(".part"):
            continue
        try:
            os.unlink(folder / name)
            deleted += 1
        except OSError:
            pass
    return deleted
