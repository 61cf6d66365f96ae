"""A Dask worker plugin for the fault test of the survey route: the first worker to start a unit's
analysis task SIGKILLs its own process, once (a marker file says it happened), as an operator's
``kill -9`` or the kernel's OOM killer would."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin


class KillOnce(WorkerPlugin):
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def transition(self, key, start, finish, **kwargs):  # noqa: ANN001, ANN201 (Dask's hook)
        if finish == "executing" and str(key).startswith("wise-unit-"):
            try:
                fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return
            os.close(fd)
            Path(self.marker).write_text(f"{os.getpid()} {key}\n")
            os.kill(os.getpid(), signal.SIGKILL)
