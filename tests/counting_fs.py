"""A filesystem that counts what is read through it: every read's file, offset and size.

pyarrow's ``PyFileSystem`` over the local filesystem, each input file wrapped so that a read is
recorded where it is asked for (not through the page cache: a second read of the same bytes
counts again). The tests use it to see which bytes of a Parquet file a read touched; the
benchmarks, how many bytes each method asked for.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs


@dataclass
class Reads:
    """(path, offset, size) of every read, and the file sizes seen."""

    log: list[tuple[str, int, int]] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, offset: int, size: int) -> None:
        with self.lock:
            self.log.append((path, offset, size))

    @property
    def bytes(self) -> int:
        return sum(size for _, _, size in self.log)


class CountingFile:
    """A file-like object over a pyarrow input file that records each read."""

    def __init__(self, inner: Any, path: str, reads: Reads) -> None:
        self.inner, self.path, self.reads = inner, path, reads
        self.closed = False

    def read(self, nbytes: int = -1) -> bytes:
        offset = self.inner.tell()
        data = self.inner.read() if nbytes is None or nbytes < 0 else self.inner.read(nbytes)
        self.reads.add(self.path, offset, len(data))
        return bytes(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.inner.seek(offset, whence)

    def tell(self) -> int:
        return self.inner.tell()

    def size(self) -> int:
        return self.inner.size()

    def close(self) -> None:
        self.closed = True
        self.inner.close()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False


class CountingHandler(pafs.FileSystemHandler):
    """Reads through the local filesystem, recorded in ``reads``."""

    def __init__(self, reads: Reads) -> None:
        self.local = pafs.LocalFileSystem()
        self.reads = reads

    def get_type_name(self) -> str:
        return "counting"

    def normalize_path(self, path: str) -> str:
        return path

    def get_file_info(self, paths: list[str]) -> list[pafs.FileInfo]:
        return self.local.get_file_info(paths)

    def get_file_info_selector(self, selector: pafs.FileSelector) -> list[pafs.FileInfo]:
        return self.local.get_file_info(selector)

    def open_input_file(self, path: str) -> pa.NativeFile:
        inner = self.local.open_input_file(path)
        self.reads.sizes[path] = inner.size()
        return pa.PythonFile(CountingFile(inner, path, self.reads), mode="r")

    def open_input_stream(self, path: str) -> pa.NativeFile:
        return self.open_input_file(path)

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a counting filesystem only reads")

    create_dir = delete_dir = delete_dir_contents = delete_root_dir_contents = delete_file = _read_only
    move = copy_file = open_output_stream = open_append_stream = _read_only


def counting_filesystem() -> tuple[pafs.FileSystem, Reads]:
    reads = Reads()
    return pafs.PyFileSystem(CountingHandler(reads)), reads
