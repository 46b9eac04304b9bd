"""chipcmp: compare AI accelerators from sourced public specifications.

Python API, for notebooks::

    import chipcmp
    df = chipcmp.load()            # every chip, every column, every derived metric
    df.sort_values("bf16_tflops_per_watt", ascending=False).head()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import os

    import pandas as pd

__all__ = ["__version__", "load"]


def __getattr__(name: str) -> Any:
    # The version is read from the installed metadata, lazily, so that importing chipcmp costs nothing.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("chipcmp")
        except PackageNotFoundError:
            return "0+unknown"
    raise AttributeError(f"module 'chipcmp' has no attribute {name!r}")


def load(data: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The chips as a DataFrame (one row per chip) with every derived metric; `data` replaces the bundled CSV."""
    from chipcmp.core import with_metrics
    from chipcmp.dataset import load_dataset

    return with_metrics(load_dataset(data).frame).reset_index(drop=True)
