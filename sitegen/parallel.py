"""Parallel work on both cores: fork workers that inherit the build's state, results in input order.

Fork (not spawn) is used on purpose: the workers start with the whole build in memory (articles,
contexts, the Jinja environment) and send back only their results. Work is split into a few
contiguous chunks per worker and the results are put back in input order, so the output does
not depend on which worker finished first.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")
MIN_ITEMS = 400          # below this, starting processes costs more than it saves

_job: Callable | None = None


def reset_signals() -> None:
    """A forked worker's first step: SIGTERM back to its default, ending the process.

    `build.py serve --admin` makes SIGTERM raise KeyboardInterrupt in its own process (serve.py,
    `_interrupt_on_sigterm`), and a worker forked by one of its rebuilds inherited that: a pool
    that ends its workers with SIGTERM (multiprocessing.Pool.terminate) then waited for ever for
    one that had caught it and gone back to waiting for work.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_chunk(bounds: tuple[int, int]) -> list:
    start, end = bounds
    return _job(start, end)


def _run_one(item: int):
    return _job(item)


def workers() -> int:
    """How many processes to use: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def chunk_bounds(count: int, processes: int) -> list[tuple[int, int]]:
    """[start, end) chunks covering [0, count) that shrink as the work runs out ("guided"
    scheduling): each takes a share of what is left, down to a floor.

    With equal chunks one core sat idle while the other finished its last one (0.45 s of the
    render stage at 10,000 articles with 8 chunks, 0.77-0.98 s with 16: measured); small last
    chunks let both cores finish nearly together, and large first ones (no larger than an eighth
    of the work on two cores, so a worker holds no more at once than before) keep the number of
    chunks low.
    """
    ceiling = -(-count // (processes * 4))     # the size of the equal chunks there were before
    floor = max(1, count // (processes * 32))
    bounds, start = [], 0
    while start < count:
        end = min(count, start + min(ceiling, max(floor, (count - start) // (processes * 2))))
        bounds.append((start, end))
        start = end
    return bounds


def can_fork() -> bool:
    """Whether work can go to forked processes here: fork is available and there is a second core."""
    return workers() > 1 and "fork" in multiprocessing.get_all_start_methods()


def will_fork(count: int) -> bool:
    """Whether map_chunks will share `count` items among forked workers (or do them here)."""
    return count >= MIN_ITEMS and can_fork()


def map_chunks(job: Callable[[int, int], list[R]], count: int) -> list[R]:
    """Run job(start, end) over [0, count) in parallel chunks; concatenate results in order.

    `job` may use anything the parent holds in memory (it runs in forked copies of it).
    """
    global _job
    processes = workers()
    if not will_fork(count):
        return job(0, count)
    bounds = chunk_bounds(count, processes)
    _job = job
    try:
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"),
                                 initializer=reset_signals) as pool:
            results = list(pool.map(_run_chunk, bounds))
    finally:
        _job = None
    return [item for chunk in results for item in chunk]


def each_done(job: Callable[[int], R], count: int, fork: bool = True) -> Iterator[tuple[int, R]]:
    """job(i) for each i in [0, count), yielded as (i, result) as each is done: in forked workers
    (given in order, taken up as workers come free) when `fork` and can_fork(), here otherwise.

    For a pipeline whose next step starts on one result while the others are still being made:
    the search index runs Pagefind on a shard as soon as its documents are written. `job` may use
    anything the parent holds in memory, as map_chunks' may. If the caller stops early (or one
    job raises), the jobs not yet started are dropped.
    """
    global _job
    if not (fork and count > 1 and can_fork()):
        for item in range(count):
            yield item, job(item)
        return
    _job = job
    # The pool forks its workers on the first submit, before any result is yielded: a thread the
    # caller starts on a result is never copied into a worker.
    pool = ProcessPoolExecutor(min(workers(), count), mp_context=multiprocessing.get_context("fork"),
                               initializer=reset_signals)
    try:
        running = {pool.submit(_run_one, item): item for item in range(count)}
        _job = None                   # the workers have their own copy; the parent needs none
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=running.get):
                yield running.pop(future), future.result()
    finally:
        _job = None
        pool.shutdown(wait=True, cancel_futures=True)
