"""A throwaway PostgreSQL cluster from Debian's packages, for the storage tests.

``initdb`` refuses to run as root, so as root the cluster is made and run by the ``postgres``
user (Debian's package creates it; made here if missing), in a fresh folder, listening only on a
Unix socket in that folder. Stopped and removed at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _binary(name: str) -> str:
    for folder in BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (Debian: apt install postgresql)")
    return found


class ThrowawayPostgres:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="wise-pg-"))
        self.data, self.socket = self.folder / "data", self.folder / "socket"
        self.as_root = os.geteuid() == 0
        self.user = "postgres" if self.as_root else os.environ.get("USER", "postgres")

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run(prefix + list(command), check=True, capture_output=True, timeout=120)

    def start(self) -> str:
        self.socket.mkdir(parents=True)
        if self.as_root:
            if subprocess.run(["id", "postgres"], capture_output=True).returncode:
                subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
            shutil.chown(self.folder, "postgres")
            shutil.chown(self.socket, "postgres")
        self._run(_binary("initdb"), "-D", str(self.data), "-A", "trust", "-U", self.user, "--no-sync")
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.folder / "log"), "-o",
                  f"-k {self.socket} -c listen_addresses='' -c fsync=off", "start")
        return self.url("postgres")

    def create(self, name: str) -> str:
        self._run(_binary("createdb"), "-h", str(self.socket), "-U", self.user, name)
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://{self.user}@/{name}?host={self.socket}"

    def stop(self) -> None:
        try:
            self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
