"""The byte scan of a big chips file run beside its parse. pandas' C reader keeps about 1.4 of this machine's two
cores busy, and the scan (~1 s a million rows, in numpy) holds Python's lock between its steps, so a thread
beside the parse gains nothing; a forked child scanning the same file while the parent parses it takes the
scan off the critical path. Elsewhere (a file held in memory, no fork, not Linux) the scan runs first, as
before, and the parse only if the scan passes. Either way the caller gets the same verdict."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from chipcmp.data.scan import ScanProblem, first_ragged_row

T = TypeVar("T")

PARALLEL_SCAN_BYTES = 8 << 20  # a file from this size is scanned in a child process while it is parsed


class Verdict:
    """What the scan found: the first ragged row (line, fields), or a problem (line, message), and the n/a cells
    as (data rows, field positions) arrays."""

    __slots__ = ("na", "problem", "ragged")

    def __init__(self, ragged: tuple[int, int] | None = None, problem: tuple[int, str] | None = None,
                 na: list[tuple[Any, Any]] | None = None) -> None:
        self.ragged = ragged
        self.problem = problem
        self.na = [] if na is None else na

    @property
    def ok(self) -> bool:
        return self.ragged is None and self.problem is None


def scan(source: Path | bytes, nfields: int) -> Verdict:
    """The scan, in this process."""
    verdict = Verdict()
    try:
        verdict.ragged = first_ragged_row(source, nfields, None, verdict.na)
    except ScanProblem as p:
        return Verdict(problem=(p.line, p.message))
    return verdict


def scan_while(source: Path | bytes, nfields: int, work: Callable[[], T],
               refuse: Callable[[Verdict], NoReturn]) -> tuple[Verdict, T]:
    """The scan's verdict and `work()`'s result. A verdict that is not ok goes to `refuse`, which raises: before
    `work` runs when the scan runs first, and before any exception of `work` when they run side by side (the
    scan's finding names the line, where a parse error may not)."""
    def checked(verdict: Verdict) -> Verdict:
        if not verdict.ok:
            refuse(verdict)
        return verdict

    child = _fork(source, nfields)
    if child is None:
        return checked(scan(source, nfields)), work()
    try:
        try:
            result = work()
        except Exception:
            checked(child.verdict(source, nfields))
            raise
        return checked(child.verdict(source, nfields)), result
    finally:
        child.close()


def _payload(source: Path | bytes, nfields: int) -> bytes:
    import pickle

    return pickle.dumps(scan(source, nfields), protocol=pickle.HIGHEST_PROTOCOL)


class _Child:
    """A forked scan: its pid and the read end of the pipe its pickled verdict comes through."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd, self.done = pid, fd, False

    def verdict(self, source: Path | bytes, nfields: int) -> Verdict:
        """The child's verdict; if it failed in any way, the scan run here instead (same answer, just later)."""
        import pickle

        with os.fdopen(self.fd, "rb") as f:
            data = f.read()
        _, status = os.waitpid(self.pid, 0)
        self.done = True
        if status == 0 and data:
            found = pickle.loads(data)  # bytes our own child wrote to our own pipe
            if isinstance(found, Verdict):
                return found
        return scan(source, nfields)

    def close(self) -> None:
        """Stop and reap the child if the parent leaves early (an interrupt, an error before its verdict)."""
        if self.done:
            return
        import signal

        self.done = True
        with contextlib.suppress(OSError):
            os.close(self.fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


def _fork(source: Path | bytes, nfields: int) -> _Child | None:
    """A child scanning `source`, or None where forking is not worthwhile or not safe: a file held in memory or
    smaller than PARALLEL_SCAN_BYTES, a platform without fork, or one (macOS) where forking a process that has
    loaded system frameworks is unsafe."""
    if not isinstance(source, Path) or not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return None
    try:
        if source.stat().st_size < PARALLEL_SCAN_BYTES:
            return None
    except OSError:
        return None
    import pickle  # noqa: F401 -- imported before the fork, so the child imports nothing
    import warnings

    import numpy  # noqa: F401

    read, write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns when a process with threads (numpy's BLAS pool) forks: the child runs only numpy on
        # arrays of its own and pickle, takes no lock another thread may hold, and leaves by os._exit.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: scan, write the verdict, and leave without running the parent's exit handlers
        status = 1
        try:
            os.close(read)
            with os.fdopen(write, "wb") as out:
                out.write(_payload(source, nfields))
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    return _Child(pid, read)
