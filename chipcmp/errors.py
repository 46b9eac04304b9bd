"""Domain errors. The core raises them; the CLI edge turns each into one line on stderr and an exit code."""

from __future__ import annotations

# Exit codes, named once (as pipx does in constants.py).
EXIT_FAILURE = 1  # data, I/O or "nothing to show" failures
EXIT_USAGE = 2  # bad arguments: unknown chip, metric, filter, option value
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as shells report it
EXIT_INTERRUPTED = 130  # 128 + SIGINT


class ChipcmpError(Exception):
    """Base class: a message fit to show the user as is, and the exit code that goes with it."""

    exit_code = EXIT_FAILURE


class UsageError(ChipcmpError):
    """The user asked for something that does not exist or does not parse."""

    exit_code = EXIT_USAGE


class UnknownChip(UsageError):
    """A name that is no chip; `query` is the name as typed, for the error edge to check against the systems."""

    def __init__(self, message: str, query: str = "") -> None:
        super().__init__(message)
        self.query = query


class UnknownMetric(UsageError):
    pass


class FilterError(UsageError):
    pass


class DataError(ChipcmpError):
    """A data file is missing, unreadable or malformed."""


class OutputError(ChipcmpError):
    """An output file cannot be written."""


class EmptyResult(ChipcmpError):
    """Filters left nothing to show."""
