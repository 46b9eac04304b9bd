"""Write a synthetic chips CSV of N rows in the bundled schema, deterministically (seeded), for the benchmarks.

    python benchmarks/generate.py 1000000 big.csv

Rows are bundled chips with every figure scaled by a random factor in [0.8, 1.25] and unique names; notes and
aliases are dropped so that file size tracks the numbers, as in a user's price or offer list.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

import chipcmp
from chipcmp.data import schema
from chipcmp.data.dataset import bundled_path


def generate(rows: int, seed: int = 20261125) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = pd.read_csv(bundled_path(), dtype=str, keep_default_na=False)
    # A user's list carries its own prices (the bundled ones live in prices.csv): take each chip's current one.
    priced = chipcmp.load().set_index("name")
    for c in ("price_usd", "price_kind", "price_date", "price_source"):
        base[c] = base["name"].map(priced[c]).astype(object).where(lambda v: v.notna(), "").astype(str)
    pick = rng.integers(0, len(base), rows)
    df = base.iloc[pick].reset_index(drop=True)
    # "x" keeps names distinct after case/punctuation folding ("Gaudi 2 #251" would equal "Gaudi #2251")
    df["name"] = df["name"] + " x" + pd.Series(np.arange(rows)).astype(str)
    df["aliases"] = ""
    df["notes"] = ""
    df["sources"] = df["sources"].str.split("|").str[0]
    for c in schema.COLUMNS:
        if c.kind == "float" and c.name in df.columns:
            v = pd.to_numeric(df[c.name].replace("", np.nan), errors="coerce")  # "n/a" stays as it is
            scaled = (v * rng.uniform(0.8, 1.25, rows)).round(3)
            df[c.name] = scaled.astype(object).where(v.notna(), df[c.name])
    return df


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=int)
    parser.add_argument("output", type=Path)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()
    generate(args.rows, args.seed).to_csv(args.output, index=False)


if __name__ == "__main__":
    main()
