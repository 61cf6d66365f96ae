"""The Dask cluster a survey runs on: an existing one (``--scheduler`` / ``WISE_DASK_SCHEDULER``,
e.g. started with ``dask scheduler`` and ``dask worker ADDRESS``), or a LocalCluster of worker
processes for the command line (never inside a web server: the page offers the Parquet route
only when a scheduler is configured)."""

from __future__ import annotations

import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dashboard import __version__
from dashboard.core.errors import ClusterNotReady, ClusterUnavailable

#: What each process of the cluster is asked: this package's version, by a standard-library function
#: (``pkgutil.resolve_name``, pickled by reference: a worker without the package can still run it
#: and say so, where a function of this package would fail to deserialize there).
VERSION_NAME = "dashboard:__version__"


@contextmanager
def dask_client(scheduler: str | None, *, workers: int = 2, memory_limit: str = "2GiB",
                timeout_s: float = 20.0) -> Iterator[Any]:
    """A ``distributed.Client``: on ``scheduler`` when given, else on a LocalCluster of
    ``workers`` processes of one thread each, each limited to ``memory_limit`` (Dask's own
    spawn start method: no fork of a threaded process)."""
    from distributed import Client, LocalCluster

    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout=f"{timeout_s}s")
        else:
            cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                   memory_limit=memory_limit, dashboard_address=None)
            client = Client(cluster, timeout=f"{timeout_s}s")
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        where = scheduler or "a LocalCluster"
        raise ClusterUnavailable(f"cannot reach the Dask scheduler at {where} ({exc}): start it with "
                                 "`dask scheduler` and its workers with `dask worker ADDRESS`") from None
    try:
        if scheduler:  # a LocalCluster's workers are this interpreter's: nothing to check
            check_cluster(client, scheduler)
        from dashboard.batch.worker_setup import ProcessOptions

        client.register_plugin(ProcessOptions())
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def check_cluster(client: Any, address: str) -> None:
    """Before any work is submitted: the scheduler and every worker import this package at this
    version, else ``ClusterNotReady`` in one sentence naming what is missing where and how to
    install it there (from this checkout: the package is not on a public registry)."""
    found: dict[str, object] = {"scheduler": _asked(lambda: client.run_on_scheduler(pkgutil.resolve_name,
                                                                                    VERSION_NAME))}
    replies = client.run(pkgutil.resolve_name, VERSION_NAME, on_error="return")
    found |= {f"worker {worker}": reply for worker, reply in sorted(replies.items())}
    if not replies:
        raise ClusterNotReady(f"the Dask scheduler at {address} has no worker: start one with "
                              f"`dask worker {address}` where wise-explorer {__version__} is installed")
    wrong = {where: reply for where, reply in found.items() if reply != __version__}
    if not wrong:
        return
    where, reply = next(iter(wrong.items()))
    others = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
    said = (f"runs wise-explorer {reply}, this client {__version__}" if isinstance(reply, str)
            else f"cannot import the package dashboard of wise-explorer ({type(reply).__name__}: {reply})")
    raise ClusterNotReady(f"the Dask {where} at {address}{others} {said}: install wise-explorer {__version__} "
                          "there from the same source as this client (`pip install /path/to/this/checkout`, or "
                          "the same wheel) and restart it")


def _asked(call: Any) -> object:
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - what the scheduler answered is the finding, said above
        return exc
