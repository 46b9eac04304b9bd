"""File I/O in one place: reading inputs once and within limits, checking output paths, writing atomically.

The renderers and `plot` write through here; the loader and the audit read through here. Rules:
- no input is ever the output (by any route: --data, --add, $CHIPCMP_DATA, the bundled data);
- a regular file is replaced atomically (temp file + rename, cleaned up on Ctrl-C, SIGTERM and SIGHUP); a link
  is written through to its target; a device or pipe (/dev/stdout, /dev/null) is written directly, as a shell
  redirect would;
- a pipe or device given as input is read once, with a size cap, so a FIFO never hangs and /dev/zero never
  fills memory.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from chipcmp.errors import DataError, OutputError

MAX_INPUT_BYTES = 2 << 30  # 2 GiB: ten times the largest file the benchmarks read


MAX_STREAM_BYTES = 256 << 20  # a pipe or device is held in memory: 256 MiB


MAX_FIELD_BYTES = 1 << 16  # one CSV cell: 64 KiB is ten times the longest notes in the data


MAX_HEADER_BYTES = 1 << 16


ENV_DATA = "CHIPCMP_DATA"


def describe_oserror(e: OSError) -> str:
    return e.strerror or type(e).__name__


def is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def read_stream(path: Path, shown: str, limit: int = MAX_STREAM_BYTES) -> bytes:
    """All bytes of a pipe or device, read once, at most `limit` (a larger stream is an error, not a hang). A
    named pipe with no writer yet is waited for, saying so on stderr; Ctrl-C stops the wait (exit 130)."""
    try:
        if stat.S_ISFIFO(path.stat().st_mode):
            return _read_fifo(path, shown, limit)
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise DataError(f"{shown}: cannot be read ({describe_oserror(e)}); check the path and its permissions") \
            from None
    if len(data) > limit:
        raise DataError(f"{shown}: more than {limit >> 20} MiB from a pipe or device; save it to a file first")
    return data


def _read_fifo(path: Path, shown: str, limit: int) -> bytes:
    import select
    import sys

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opens at once, writer or not
    try:
        poll = select.poll()
        poll.register(fd, select.POLLIN | select.POLLHUP)
        if not poll.poll(200):
            sys.stderr.write(f"chipcmp: waiting for a writer on {shown} (Ctrl-C stops)\n")
            sys.stderr.flush()
            poll.poll()
        os.set_blocking(fd, True)
        chunks, size = [], 0
        while size <= limit and (chunk := os.read(fd, 1 << 20)):
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise DataError(f"{shown}: more than {limit >> 20} MiB from a pipe or device; save it to a file first")
    return data


def check_input(path: Path, shown: str) -> None:
    """Fail early and clearly for a missing, directory, empty or oversized input file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise DataError(f"{shown}: no such file; check the path (or drop --data to use the bundled data)") from None
    except OSError as e:
        raise DataError(f"{shown}: cannot be read ({describe_oserror(e)}); check the path") from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError(f"{shown}: is a directory; give the path of a CSV file")
    if stat.S_ISREG(st.st_mode):
        if st.st_size > MAX_INPUT_BYTES:
            raise DataError(f"{shown}: {st.st_size / 2**30:.1f} GiB is more than chipcmp reads "
                            f"({MAX_INPUT_BYTES >> 30} GiB); split the file")
        if not os.access(path, os.R_OK):
            raise DataError(f"{shown}: cannot be read (permission denied); check its permissions")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


@functools.lru_cache(maxsize=1)
def bundled_dir() -> Path:
    """The folder of the data files shipped inside the package.

    A wheel carries them in chipcmp/data/bundled (pyproject's force-include). A source checkout or editable
    install has no such copy, and then the one folder of truth, data/ at the repo's top, is used.
    """
    here = Path(__file__).resolve().parent
    packaged = here / "bundled"  # a plain path: importlib.resources costs ~4 ms to import
    return packaged if packaged.is_dir() else here.parent.parent / "data"


def bundled_path(name: str = "chips.csv") -> Path:
    """One bundled data file."""
    return bundled_dir() / name


def protected_paths(extra: tuple[Path, ...] = ()) -> tuple[Path, ...]:
    """Every input a run may read: the files given, $CHIPCMP_DATA, and the bundled data files."""
    env = os.environ.get(ENV_DATA)
    return (*extra, *((Path(env),) if env else ()), bundled_dir())


def check_output_path(path: Path, protect: tuple[Path, ...] = ()) -> None:
    """Fail before any work if `path` cannot or must not be written, so no partial file is ever left behind."""
    for p in protected_paths(protect):
        if p.is_dir():
            inside = _inside(path, p)
            if inside:
                raise OutputError(f"refusing to write {path}: it is inside chipcmp's bundled data ({p}); "
                                  "choose another location")
        elif _same(path, p) or (path.resolve() == p.resolve()):
            raise OutputError(f"refusing to overwrite the input file {path}; choose another output name")
    target = path.resolve() if path.is_symlink() else path
    if target.exists() and not is_regular(target):
        if target.is_dir():
            raise OutputError(f"cannot write {path}: it is a directory; give a file path")
        return  # a device or a pipe: written directly, as a shell redirect would
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.exists():
        raise OutputError(f"cannot write {path}: directory {parent} does not exist; create it first")
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: directory {parent} is not writable; choose another location")
    if target.exists() and not os.access(target, os.W_OK):
        raise OutputError(f"cannot write {path}: the file is read-only; choose another name")


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


class Interrupted(BaseException):
    """SIGTERM or SIGHUP while a file was being written: unwind so the temp file is removed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_unwind() -> Iterator[None]:
    import signal

    def handler(signum: int, _frame: Any) -> None:
        raise Interrupted(signum)

    saved = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            with contextlib.suppress(ValueError, OSError):  # not the main thread: leave signals alone
                saved[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in saved.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, old)


def write_text(path: Path, write: Callable[[IO[str]], None]) -> None:
    """Write text to `path`: atomically for a file (through a link to its target), directly to a device."""
    _write(path, write, binary=False)


def write_bytes(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """`write_text` for binary files (images)."""
    _write(path, write, binary=True)


def _write(path: Path, write: Callable[[Any], None], *, binary: bool) -> None:
    target = path.resolve() if path.is_symlink() else path
    try:
        if target.exists() and not is_regular(target):
            with (open(target, "wb") if binary else open(target, "w", encoding="utf-8", newline="")) as f:
                write(f)
            return
    except OSError as e:
        raise OutputError(f"cannot write {path}: {describe_oserror(e)}") from None
    import tempfile  # only when writing a file: its import costs more than a small table's rendering

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {describe_oserror(e)}; choose another location") from None
    try:
        with _signals_unwind():
            with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as f:
                write(f)
            if target.exists():
                os.chmod(tmp, target.stat().st_mode & 0o777)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise OutputError(f"cannot write {path}: {describe_oserror(e)}") from None
        raise
