"""Executors: one process, a process pool (``jobs``), or a Dask cluster
(``scheduler``).  Each runs the same pure task function, so the results are
the same whatever the executor; only the times differ.

Tasks are submitted point index first across all pairs (every pair's first
point, then every pair's second, ...), so that the derivations of different
pairs start in parallel.  Ctrl-C cancels what has not started and returns
what finished, marked interrupted.
"""

import os
import signal
import sys
import time

from .check import check_point, load_family_files
from .results import PairResult, Report


def run(tasks, pairs, settings, jobs=1, scheduler=None, progress=None):
    """Run ``tasks`` and collect a :class:`~klsym.verify.results.Report`."""
    start = time.perf_counter()
    by_pair = {p.label: PairResult(p.label) for p in pairs}
    order = sorted(range(len(tasks)), key=lambda i: (tasks[i].index, i))
    tasks = [tasks[i] for i in order]
    sizes = {}
    for t in tasks:
        sizes[t.pair.label] = sizes.get(t.pair.label, 0) + 1
    bar = _Progress(len(tasks), sizes, progress)
    interrupted = False
    try:
        if scheduler:
            results = _dask(tasks, scheduler)
        elif jobs and jobs > 1:
            results = _pool(tasks, jobs)
        else:
            results = (check_point(t) for t in tasks)
        for result in results:
            pair = by_pair[result.pair]
            pair.points.append(result)
            pair.seconds += result.seconds
            bar.update(result, pair)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    for pair in by_pair.values():
        pair.points.sort(key=lambda p: p.index)
    return Report(list(by_pair.values()), settings, interrupted, time.perf_counter() - start)


def _worker_init(paths):
    # the parent handles Ctrl-C and stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    load_family_files(paths)


def _pool(tasks, jobs):
    from concurrent.futures import ProcessPoolExecutor, as_completed
    import multiprocessing
    paths = sorted({p for t in tasks for p in t.pair.family_files})
    # fork shares the parent's families (those declared in this session too),
    # but forking a process in which JAX runs its threads can deadlock: then
    # workers start from a fresh server process (families from files only)
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    if method == "fork" and "jax" in sys.modules:
        method = "forkserver"
    context = multiprocessing.get_context(method)
    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                   initializer=_worker_init, initargs=(paths,))
    futures = [executor.submit(check_point, t) for t in tasks]
    try:
        for future in as_completed(futures):
            yield future.result()
    except (KeyboardInterrupt, GeneratorExit):
        for future in futures:
            future.cancel()
        # running points would otherwise finish first: end the workers now
        for process in list(getattr(executor, "_processes", {}).values()):
            process.terminate()
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown()


def _dask(tasks, address):
    from distributed import Client, as_completed
    client = Client(address)
    try:
        futures = client.map(check_point, tasks, pure=False)
        try:
            for future in as_completed(futures):
                yield future.result()
        except (KeyboardInterrupt, GeneratorExit):
            client.cancel(futures)
            raise
    finally:
        client.close()


class _Progress:
    """A tqdm bar with pairs and points done and the time left; off when
    stderr is not a terminal, or when asked."""

    def __init__(self, points, sizes, enabled):
        if enabled is None:
            enabled = sys.stderr.isatty() and os.environ.get("TERM") != "dumb"
        self.bar = None
        self.sizes = sizes
        self.done = {}
        self.failures = 0
        if enabled:
            from tqdm import tqdm
            self.bar = tqdm(total=points, unit="point", desc="verify", dynamic_ncols=True)

    def update(self, result, pair):
        self.done[result.pair] = self.done.get(result.pair, 0) + 1
        self.failures += result.status == "fail"
        if self.bar is not None:
            pairs = sum(1 for label, n in self.done.items() if n >= self.sizes[label])
            self.bar.set_postfix_str(f"pairs {pairs}/{len(self.sizes)}, failed points "
                                     f"{self.failures}, last {result.pair}", refresh=False)
            self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()
