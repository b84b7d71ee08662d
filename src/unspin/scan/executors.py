"""Engines that schedule ``stages.process_shard``: local processes (default) or Ray tasks.

Neither engine does any work of its own: both run the same plain function on the same shards, so
their outputs are identical. The engine's job is scheduling (a bounded number of shards in flight),
retries (a shard that raises, or whose worker dies, is run again up to ``retries`` times; a setup
error such as an unbuilt profile stops the run at once) and placement.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Iterator

from unspin.scan.readers import Input
from unspin.scan.stages import (ScanConfig, ScanSetupError, Shard, ShardResult, process_shard, settle_worker,
                                worker_resources)


@dataclass
class ShardFailure:
    shard: int
    error: str


# -- local: a process pool, resources loaded once per worker ----------------------------------------

_WORKER: dict = {}
WARM_UP = ("The council said on Monday that it had asked for more time to study the plan, and the "
           "two sides met again in Geneva.")


def _init_worker(inputs: list[Input], config: ScanConfig) -> None:
    _WORKER["inputs"], _WORKER["config"] = inputs, config
    try:
        pipeline, _ = worker_resources(config)  # load the pipeline now, once, not in the first shard
        pipeline.run(WARM_UP)  # models load lazily on first use: load them here as well
        settle_worker()
    except ScanSetupError as e:
        _WORKER["setup_error"] = e  # raised from the first task, so the driver sees the message


def _run_in_worker(shard: Shard) -> ShardResult:
    if "setup_error" in _WORKER:
        raise _WORKER["setup_error"]
    result = process_shard(shard, _WORKER["inputs"], _WORKER["config"])
    settle_worker()  # the memos this shard filled are long-lived too
    return result


class LocalExecutor:
    """``workers`` processes on this machine (forkserver: workers start clean, without the driver's
    threads or memory, and each loads the pipeline once). ``workers=1`` runs in this process."""

    name = "local"

    def __init__(self, workers: int | None = None, retries: int = 2, start_method: str = "forkserver"):
        self.workers = workers or os.cpu_count() or 1
        self.retries = retries
        self.start_method = start_method

    def map(self, shards: list[Shard], inputs: list[Input], config: ScanConfig) -> Iterator[ShardResult | ShardFailure]:
        if self.workers == 1:
            yield from self._serial(shards, inputs, config)
            return
        attempts = {s.index: 0 for s in shards}
        pending = list(shards)
        ctx = multiprocessing.get_context(self.start_method)
        while pending:
            broken = False
            with ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init_worker,
                                     initargs=(inputs, config)) as pool:
                queue, running = list(pending), {}
                pending = []
                limit = 2 * self.workers
                while queue or running:
                    while queue and len(running) < limit and not broken:
                        s = queue.pop(0)
                        running[pool.submit(_run_in_worker, s)] = s
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in done:
                        s = running.pop(fut)
                        try:
                            yield fut.result()
                        except ScanSetupError:
                            for f in running:
                                f.cancel()
                            raise
                        except BrokenProcessPool as e:  # a worker died (OOM kill, segfault): new pool
                            broken = True
                            attempts[s.index] += 1
                            if attempts[s.index] > self.retries:
                                yield ShardFailure(s.index, f"worker died ({e})")
                            else:
                                pending.append(s)
                        except Exception as e:
                            attempts[s.index] += 1
                            if attempts[s.index] > self.retries:
                                yield ShardFailure(s.index, f"{type(e).__name__}: {e}")
                            else:
                                queue.append(s)
                    if broken:
                        pending.extend(queue)
                        queue = []
            pending.sort(key=lambda s: s.index)

    def _serial(self, shards, inputs, config):
        for s in shards:
            for attempt in range(self.retries + 1):
                try:
                    yield process_shard(s, inputs, config)
                    break
                except ScanSetupError:
                    raise
                except Exception as e:
                    if attempt == self.retries:
                        yield ShardFailure(s.index, f"{type(e).__name__}: {e}")


# -- Ray: the same function as remote tasks ---------------------------------------------------------

def _ray_task(shard: Shard, inputs: list[Input], config: ScanConfig) -> ShardResult:
    result = process_shard(shard, inputs, config)
    settle_worker()  # Ray reuses its worker processes: what they hold now is long-lived
    return result


class RayExecutor:
    """Ray tasks, one per shard, on a local Ray instance (``address=None``: started here with
    ``workers`` CPUs and stopped at the end) or an existing cluster (``address="auto"`` on a cluster
    node, or ``ray://head:10001``). Ray's worker processes are reused between tasks, so each loads
    the pipeline once. Inputs and ``--output`` must be paths every node can reach (shared storage)."""

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None, retries: int = 2):
        self.workers = workers
        self.address = address
        self.retries = retries

    def map(self, shards: list[Shard], inputs: list[Input], config: ScanConfig) -> Iterator[ShardResult | ShardFailure]:
        try:
            import ray
        except ImportError:
            raise ScanSetupError("--engine ray needs Ray: pip install 'unspin[ray]'") from None
        started = False
        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                ray.init(num_cpus=self.workers or os.cpu_count(), include_dashboard=False, log_to_driver=False)
            started = True
        try:
            yield from self._map(ray, shards, inputs, config)
        finally:
            if started:
                ray.shutdown()

    def _map(self, ray, shards, inputs, config):
        # max_retries: re-run when the worker process dies; retry_exceptions: when the shard raises.
        task = ray.remote(num_cpus=1, max_retries=self.retries,
                          retry_exceptions=[OSError, RuntimeError, ValueError])(_ray_task)
        inputs_ref = ray.put(inputs)
        limit = 2 * (self.workers or int(ray.cluster_resources().get("CPU", 1)))
        queue, running = list(shards), {}
        while queue or running:
            while queue and len(running) < limit:
                s = queue.pop(0)
                running[task.remote(s, inputs_ref, config)] = s
            done, _ = ray.wait(list(running), num_returns=1)
            for ref in done:
                s = running.pop(ref)
                try:
                    yield ray.get(ref)
                except ScanSetupError:  # Ray re-raises task errors as subclasses of the cause
                    for r in running:
                        ray.cancel(r)
                    raise
                except Exception as e:
                    cause = getattr(e, "cause", None) or e
                    yield ShardFailure(s.index, f"{type(cause).__name__}: {cause}")


def make_executor(engine: str, workers: int | None = None, address: str | None = None, retries: int = 2):
    if engine == "local":
        if address:
            raise ValueError("--address is for --engine ray")
        return LocalExecutor(workers, retries)
    if engine == "ray":
        return RayExecutor(workers, address, retries)
    raise ValueError(f"unknown engine {engine!r}; choose local or ray")
