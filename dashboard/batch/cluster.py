"""The Dask cluster a survey runs on: an existing one (``--scheduler`` / ``WISE_DASK_SCHEDULER``,
e.g. started with ``dask scheduler`` and ``dask worker ADDRESS``), or a LocalCluster of worker
processes for the command line (never inside a web server: the page offers the Parquet route
only when a scheduler is configured)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dashboard.core.errors import ClusterUnavailable


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
        from dashboard.batch.worker_setup import ProcessOptions

        client.register_plugin(ProcessOptions())
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
