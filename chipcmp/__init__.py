"""chipcmp: compare AI accelerators from sourced public specifications.

Python API, for notebooks::

    import chipcmp
    df = chipcmp.load()            # every chip, every column, every derived metric
    df.sort_values("bf16_tflops_per_watt", ascending=False).head()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import os

    import pandas as pd

from chipcmp.version import __version__

__all__ = ["__version__", "load"]



def load(data: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The chips as a DataFrame (one row per chip) with every derived metric; `data` replaces the bundled CSV."""
    from chipcmp.core.fields import with_metrics
    from chipcmp.data.dataset import load_dataset

    return with_metrics(load_dataset(data).frame).reset_index(drop=True)
