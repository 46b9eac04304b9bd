"""Pictures: a labelled scatter of any two fields with its Pareto frontier, and a bar chart of one field.

The terminal charts are drawn on a character grid here (no dependency); `-o chart.png|svg` draws the same chart
with matplotlib, installed as the optional extra `pip install "chipcmp[plot]"`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chipcmp import schema
from chipcmp.core import Filters, check_field, check_top, field_values, select
from chipcmp.errors import ChipcmpError, EmptyResult, UsageError
from chipcmp.render import bar, fmt_number

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.dataset import Dataset

MIN_WIDTH = 40
HEIGHT = 20


class MissingExtra(ChipcmpError):
    """An optional dependency is not installed."""


@dataclass
class Points:
    """The chips that have both values, with the frontier flag; what both renderers draw."""

    frame: pd.DataFrame  # name, x, y, pareto
    x: str
    y: str
    log_x: bool
    log_y: bool
    left_out: int

    @property
    def frontier(self) -> pd.DataFrame:
        return self.frame[self.frame["pareto"]].sort_values("x")


def pareto_mask(x: pd.Series, y: pd.Series, x_higher: bool, y_higher: bool) -> pd.Series:
    """True for points no other point beats on both axes (each in its own better direction). O(n log n)."""
    import numpy as np
    import pandas as pd

    xs = x.to_numpy(dtype=float) * (1 if x_higher else -1)
    ys = y.to_numpy(dtype=float) * (1 if y_higher else -1)
    order = np.lexsort((-ys, -xs))  # best x first, and among equal x the best y first
    keep = np.zeros(len(xs), dtype=bool)
    best_y = -np.inf
    last_x = None
    last_y = None
    for i in order:
        if ys[i] > best_y or (xs[i] == last_x and ys[i] == last_y):
            keep[i] = True
            best_y = max(best_y, ys[i])
            last_x, last_y = xs[i], ys[i]
    return pd.Series(keep, index=x.index)


def _direction(name: str) -> bool:
    f = schema.FIELD_BY_NAME[name]
    return True if f.higher_is_better is None else f.higher_is_better


def points(ds: Dataset, x: str, y: str, chips: list[str], filters: Filters, log_x: bool = False,
           log_y: bool = False) -> Points:
    """The chips to plot: both values known (and positive on a log axis)."""
    import pandas as pd

    check_field(x)
    check_field(y)
    df = select(ds, chips, filters)
    frame = pd.DataFrame({"name": df["name"], "x": field_values(df, x), "y": field_values(df, y)})
    ok = frame["x"].notna() & frame["y"].notna()
    if log_x:
        ok &= frame["x"] > 0
    if log_y:
        ok &= frame["y"] > 0
    left_out = int((~ok).sum())
    frame = frame[ok]
    if frame.empty:
        raise EmptyResult(f"no chip has both {x} and {y} known; pick other fields or chips")
    frame = frame.assign(pareto=pareto_mask(frame["x"], frame["y"], _direction(x), _direction(y)))
    return Points(frame, x, y, log_x, log_y, left_out)


def _axis_label(name: str) -> str:
    return schema.field_header(schema.FIELD_BY_NAME[name])


def _scale(values: pd.Series, log: bool) -> tuple[pd.Series, float, float]:
    import numpy as np

    v = np.log10(values) if log else values
    lo, hi = float(v.min()), float(v.max())
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    return v, lo, hi


def scatter_text(p: Points, width: int) -> str:
    """The scatter on a character grid: '*' a chip, '#' a chip on the Pareto frontier, labels beside them."""
    width = max(MIN_WIDTH, width)
    left = 10  # y tick labels
    cols = width - left - 1
    grid = [[" "] * cols for _ in range(HEIGHT)]
    xv, x0, x1 = _scale(p.frame["x"], p.log_x)
    yv, y0, y1 = _scale(p.frame["y"], p.log_y)
    placed: list[tuple[int, int, str, bool]] = []
    for name, xi, yi, front in zip(p.frame["name"], xv, yv, p.frame["pareto"], strict=True):
        c = round((xi - x0) / (x1 - x0) * (cols - 1))
        r = HEIGHT - 1 - round((yi - y0) / (y1 - y0) * (HEIGHT - 1))
        placed.append((r, c, str(name), bool(front)))
    # frontier points and their labels first, so that they win any collision
    placed.sort(key=lambda t: (not t[3], t[1]))
    unlabelled: list[str] = []
    for r, c, _, front in placed:
        grid[r][c] = "#" if front else "*"
    for r, c, name, _ in placed:
        label = name[:18]
        spots = [(r, c + 2), (r, c - 1 - len(label)), (r - 1, c), (r + 1, c)]
        for rr, cc in spots:
            if 0 <= rr < HEIGHT and cc >= 0 and cc + len(label) <= cols and \
                    all(grid[rr][k] == " " for k in range(max(0, cc - 1), min(cols, cc + len(label) + 1))):
                grid[rr][cc:cc + len(label)] = list(label)
                break
        else:
            unlabelled.append(name)

    def tick(v: float, log: bool) -> str:
        return fmt_number(10 ** v if log else v)

    lines = [f"{_axis_label(p.y)} vs {_axis_label(p.x)}" + ("  (log y)" if p.log_y else "")
             + ("  (log x)" if p.log_x else "")]
    for i, row in enumerate(grid):
        label = ""
        if i == 0:
            label = tick(y1, p.log_y)
        elif i == HEIGHT - 1:
            label = tick(y0, p.log_y)
        elif i == HEIGHT // 2:
            label = tick((y0 + y1) / 2, p.log_y)
        lines.append(f"{label:>{left - 1}} |" + "".join(row).rstrip())
    lines.append(" " * (left - 1) + " +" + "-" * cols)
    lo, mid, hi = tick(x0, p.log_x), tick((x0 + x1) / 2, p.log_x), tick(x1, p.log_x)
    axis = [" "] * (cols + 1)
    for pos, text in ((0, lo), ((cols - len(mid)) // 2, mid), (cols - len(hi), hi)):
        axis[pos:pos + len(text)] = list(text)
    lines.append(" " * (left + 1) + "".join(axis).rstrip())
    lines.append(" " * (left + 1) + _axis_label(p.x))
    lines.append("* chip   # Pareto frontier (no chip better on both)")
    if unlabelled:
        import textwrap

        lines += textwrap.wrap("Not labelled (no room): " + ", ".join(unlabelled), width=width)
    return "\n".join(lines) + "\n"


def frontier_text(p: Points) -> str:
    better_x = "higher" if _direction(p.x) else "lower"
    better_y = "higher" if _direction(p.y) else "lower"
    rows = [f"Pareto frontier ({better_x} {p.x}, {better_y} {p.y}):"]
    for _, r in p.frontier.iterrows():
        rows.append(f"  {r['name']}: {p.x} {fmt_number(r['x'])}, {p.y} {fmt_number(r['y'])}")
    return "\n".join(rows) + "\n"


def bars(ds: Dataset, metric: str, chips: list[str], filters: Filters, top: int | None = None) -> pd.DataFrame:
    """Chips with a known `metric`, best first."""
    f = check_field(metric)
    check_top(top)
    df = select(ds, chips, filters)
    import pandas as pd

    out = pd.DataFrame({"name": df["name"], "value": field_values(df, metric)}).dropna()
    if out.empty:
        raise EmptyResult(f"no chip has a known {metric}")
    out = out.sort_values("value", ascending=not f.higher_is_better, kind="stable")
    return out.head(top) if top else out


def bars_text(frame: pd.DataFrame, metric: str, width: int) -> str:
    width = max(MIN_WIDTH, width)
    names = [str(n)[:24] for n in frame["name"]]
    values = [fmt_number(v) for v in frame["value"]]
    name_w = max(len(n) for n in names)
    value_w = max(len(v) for v in values)
    room = max(5, width - name_w - value_w - 4)
    top = float(frame["value"].abs().max()) or 1.0
    lines = [f"{_axis_label(metric)}, {'higher' if _direction(metric) else 'lower'} is better"]
    for n, v, raw in zip(names, values, frame["value"], strict=True):
        lines.append(f"{n:<{name_w}} {v:>{value_w}} {bar(abs(raw), top, room)}")
    return "\n".join(lines) + "\n"


# --- images (matplotlib, optional) ---------------------------------------------------------------------------


def _pyplot():  # type: ignore[no-untyped-def]
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: never opens a window
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingExtra('writing an image needs matplotlib: pip install "chipcmp[plot]" (or pip install '
                           'matplotlib); terminal charts work without it') from None
    return plt


def image_kind(path: Path) -> str:
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("png", "svg"):
        raise UsageError(f"-o {path}: charts are written as .png or .svg; name the file accordingly")
    return kind


def write_scatter(p: Points, path: Path) -> None:
    """The scatter as PNG or SVG: every chip labelled, the Pareto frontier drawn as a line."""
    from chipcmp.render import write_atomic_bytes

    kind = image_kind(path)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 6.5), dpi=120)
    other = p.frame[~p.frame["pareto"]]
    front = p.frontier
    ax.scatter(other["x"], other["y"], s=22, color="#7a869a", label="chip")
    ax.scatter(front["x"], front["y"], s=36, color="#d1495b", label="Pareto frontier", zorder=3)
    ax.plot(front["x"], front["y"], color="#d1495b", linewidth=1, alpha=0.6)
    for _, r in p.frame.iterrows():
        ax.annotate(str(r["name"]), (r["x"], r["y"]), textcoords="offset points", xytext=(4, 3), fontsize=7)
    if p.log_x:
        ax.set_xscale("log")
    if p.log_y:
        ax.set_yscale("log")
    ax.set_xlabel(_axis_label(p.x))
    ax.set_ylabel(_axis_label(p.y))
    ax.set_title(f"{_axis_label(p.y)} vs {_axis_label(p.x)} — chipcmp (dense, per package)")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    write_atomic_bytes(path, lambda f: fig.savefig(f, format=kind))
    plt.close(fig)


def write_bars(frame: pd.DataFrame, metric: str, path: Path) -> None:
    from chipcmp.render import write_atomic_bytes

    kind = image_kind(path)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(frame) + 1.2), dpi=120)
    ax.barh(list(frame["name"].astype(str))[::-1], list(frame["value"])[::-1], color="#2e86ab")
    ax.set_xlabel(_axis_label(metric))
    ax.set_title(f"{_axis_label(metric)} — chipcmp (dense, per package)")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    write_atomic_bytes(path, lambda f: fig.savefig(f, format=kind))
    plt.close(fig)
