"""Each Dask worker of a survey sets the product's process options when it starts
(``dashboard/runtime.py``): a worker plugin, registered by ``cluster.dask_client``, so a worker that
joins the cluster later gets them too (Dask's documented way: ``Client.register_plugin``)."""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from dashboard.runtime import configure


class ProcessOptions(WorkerPlugin):
    """Runs ``runtime.configure`` in each worker process as it starts."""

    name = "wise-explorer-process-options"

    def setup(self, worker: Any) -> None:
        configure()
