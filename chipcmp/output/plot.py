"""Pictures: a labelled scatter of any two fields with its Pareto frontier, and a bar chart of one field.

The terminal charts are drawn on a character grid here (no dependency); `-o chart.png|svg` draws the same chart
with matplotlib, installed as the optional extra `pip install "chipcmp[plot]"`.
"""

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from chipcmp.core.fields import check_field, check_top, field_values
from chipcmp.core.filters import Filters, select
from chipcmp.core.result import Col, Result
from chipcmp.data import schema
from chipcmp.data.registry import CHIPS, Registry
from chipcmp.errors import ChipcmpError, EmptyResult, UsageError
from chipcmp.output.table import bar, fmt_number
from chipcmp.text import clean

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.data.dataset import Dataset


MIN_WIDTH = 40


HEIGHT = 20


class MissingExtra(ChipcmpError):
    """An optional dependency is not installed."""


class Points(NamedTuple):
    """The chips that have both values, with the frontier flag; what both renderers draw."""

    frame: "pd.DataFrame"  # name, x, y, pareto
    x: str
    y: str
    log_x: bool
    log_y: bool
    left_out: int
    named: tuple[str, ...] = ()  # chips the user asked for: labelled first
    registry: Registry = CHIPS  # the chips' fields, or the systems'

    @property
    def frontier(self) -> "pd.DataFrame":
        return self.frame[self.frame["pareto"]].sort_values("x")


def pareto_mask(x: "pd.Series", y: "pd.Series", x_higher: bool, y_higher: bool) -> "pd.Series":
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


def _direction(name: str, registry: Registry = CHIPS) -> bool:
    f = registry.by_name[name]
    return True if f.higher_is_better is None else f.higher_is_better


def _rows(ds: "Dataset", names: list[str], filters: Filters, registry: Registry) -> "pd.DataFrame":
    """The chips (or, with the systems' registry, the systems) to chart, after the filters."""
    if registry is CHIPS:
        return select(ds, names, filters)
    from chipcmp.core.systems import select_systems

    others = [f"--{k}" for k in ("country", "kind", "since", "where") if getattr(filters, k) not in ((), None)]
    if others:
        raise UsageError(f"{', '.join(others)} filter chips; with --systems only --vendor applies (or name the "
                         "systems)")
    return select_systems(ds, names, filters.vendor)


def points(ds: "Dataset", x: str, y: str, chips: list[str], filters: Filters, log_x: bool = False,
           log_y: bool = False, registry: Registry = CHIPS) -> Points:
    """The chips (or systems) to plot: both values known (and positive on a log axis)."""
    import pandas as pd

    check_field(x, registry=registry)
    check_field(y, registry=registry)
    df = _rows(ds, chips, filters, registry)
    frame = pd.DataFrame({"name": df["name"], "vendor": df["vendor"], "x": field_values(df, x, registry),
                          "y": field_values(df, y, registry)})
    ok = frame["x"].notna() & frame["y"].notna()
    if log_x:
        ok &= frame["x"] > 0
    if log_y:
        ok &= frame["y"] > 0
    left_out = int((~ok).sum())
    frame = frame[ok]
    what = "chip" if registry is CHIPS else "system"
    if frame.empty:
        raise EmptyResult(f"no {what} has both {x} and {y} known; pick other fields or {what}s")
    frame = frame.assign(pareto=pareto_mask(frame["x"], frame["y"], _direction(x, registry),
                                            _direction(y, registry)))
    return Points(frame, x, y, log_x, log_y, left_out, tuple(str(n) for n in df["name"]) if chips else (), registry)


def _axis_label(name: str, registry: Registry = CHIPS) -> str:
    return schema.field_header(registry.by_name[name])


def _scale(values: "pd.Series", log: bool) -> "tuple[pd.Series, float, float]":
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
    # chips the user named, then frontier points, label first, so that they win any collision
    named = set(p.named)
    placed.sort(key=lambda t: (t[2] not in named, not t[3], t[1]))
    unlabelled: list[str] = []
    for r, c, _, front in placed:
        grid[r][c] = "#" if front else "*"
    for r, c, name, _ in placed:
        label = clean(name)[:18]
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

    lines = [f"{_axis_label(p.y, p.registry)} vs {_axis_label(p.x, p.registry)}" + ("  (log y)" if p.log_y else "")
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
    lines.append(" " * (left + 1) + _axis_label(p.x, p.registry))
    what = "chip" if p.registry is CHIPS else "system"
    lines.append(f"* {what}   # Pareto frontier (no {what} better on both)")
    if unlabelled:
        import textwrap

        lines += textwrap.wrap("Not labelled (no room): " + ", ".join(unlabelled), width=width)
    return "\n".join(lines) + "\n"


def frontier_text(p: Points) -> str:
    better_x = "higher" if _direction(p.x, p.registry) else "lower"
    better_y = "higher" if _direction(p.y, p.registry) else "lower"
    rows = [f"Pareto frontier ({better_x} {p.x}, {better_y} {p.y}):"]
    for _, r in p.frontier.iterrows():
        rows.append(f"  {r['name']}: {p.x} {fmt_number(r['x'])}, {p.y} {fmt_number(r['y'])}")
    return "\n".join(rows) + "\n"


def bars(ds: "Dataset", metric: str, chips: list[str], filters: Filters, top: int | None = None) -> "pd.DataFrame":
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


def bars_text(frame: "pd.DataFrame", metric: str, width: int) -> str:
    width = max(MIN_WIDTH, width)
    names = [clean(n)[:24] for n in frame["name"]]
    values = [fmt_number(v) for v in frame["value"]]
    name_w = max(len(n) for n in names)
    value_w = max(len(v) for v in values)
    room = max(5, width - name_w - value_w - 4)
    top = float(frame["value"].abs().max()) or 1.0
    lines = [f"{_axis_label(metric)}, {'higher' if _direction(metric) else 'lower'} is better"]
    for n, v, raw in zip(names, values, frame["value"], strict=True):
        lines.append(f"{n:<{name_w}} {v:>{value_w}} {bar(abs(raw), top, room)}")
    return "\n".join(lines) + "\n"


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


_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
            "#7f7f7f")


def _plain_ticks(ax: Any, log_x: bool, log_y: bool) -> None:
    """Log axes labelled 0.2, 1, 5 rather than 2×10⁻¹."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    fmt = FuncFormatter(lambda v, _pos: fmt_number(v) if v > 0 else "")
    for log, axis in ((log_x, ax.xaxis), (log_y, ax.yaxis)):
        if log:
            axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            axis.set_major_formatter(fmt)
            axis.set_minor_formatter(FuncFormatter(lambda _v, _pos: ""))


def _place_labels(fig: Any, ax: Any, xs: list[float], ys: list[float], names: list[str], priority: set[str]) -> None:
    """Greedy label placement: each label takes the first of eight offsets whose box overlaps no label placed
    before it (named chips and the frontier go first); a label that finds no room is left out, never stacked."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    taken: list[Any] = []
    order = sorted(range(len(names)), key=lambda i: names[i] not in priority)
    offsets = [(4, 3), (4, -9), (-4, 3), (-4, -9), (0, 8), (0, -12), (8, 0), (-8, 0)]
    for i in order:
        for dx, dy in offsets:
            t = ax.annotate(names[i], (xs[i], ys[i]), textcoords="offset points", xytext=(dx, dy), fontsize=7,
                            ha="left" if dx >= 0 else "right")
            box = t.get_window_extent(renderer).expanded(1.05, 1.15)
            if not any(box.overlaps(b) for b in taken):
                taken.append(box)
                break
            t.remove()


def scatter_image(p: Points) -> Callable[[Any, str], None]:
    """A writer of the scatter as PNG or SVG: colours by vendor, labels placed without overlap."""

    def write(f: Any, kind: str) -> None:
        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(11, 7), dpi=120)
        vendors = list(dict.fromkeys(p.frame["vendor"].fillna("?")))
        for i, v in enumerate(vendors):
            sub = p.frame[p.frame["vendor"].fillna("?") == v]
            ax.scatter(sub["x"], sub["y"], s=26, color=_PALETTE[i % len(_PALETTE)], label=v, zorder=2)
        front = p.frontier
        ax.plot(front["x"], front["y"], color="#444444", linewidth=1, alpha=0.6, label="Pareto frontier")
        if p.log_x:
            ax.set_xscale("log")
        if p.log_y:
            ax.set_yscale("log")
        _plain_ticks(ax, p.log_x, p.log_y)
        ax.set_xlabel(_axis_label(p.x, p.registry))
        ax.set_ylabel(_axis_label(p.y, p.registry))
        ax.set_title(f"{_axis_label(p.y, p.registry)} vs {_axis_label(p.x, p.registry)} — chipcmp (dense, "
                     "per package)")
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=7, ncol=2)
        fig.tight_layout()
        priority = set(p.named) | set(front["name"])
        _place_labels(fig, ax, list(p.frame["x"]), list(p.frame["y"]), [clean(n) for n in p.frame["name"]],
                      {clean(n) for n in priority})
        fig.savefig(f, format=kind)
        plt.close(fig)

    return write


def bars_image(frame: "pd.DataFrame", metric: str) -> Callable[[Any, str], None]:
    def write(f: Any, kind: str) -> None:
        _write_bars(frame, metric, f, kind)

    return write


def _write_bars(frame: "pd.DataFrame", metric: str, f: Any, kind: str) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(frame) + 1.2), dpi=120)
    ax.barh([clean(n) for n in frame["name"].astype(str)][::-1], list(frame["value"])[::-1], color="#2e86ab")
    ax.set_xlabel(_axis_label(metric))
    ax.set_title(f"{_axis_label(metric)} — chipcmp (dense, per package)")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(f, format=kind)
    plt.close(fig)


def scatter_result(ds: "Dataset", x: str, y: str, chips: list[str], filters: Filters, log_x: bool, log_y: bool,
                   width: int, pareto: bool, registry: Registry = CHIPS) -> Result:
    """The scatter as a Result: the points as data, the chart as text, and an image writer."""
    p = points(ds, x, y, chips, filters, log_x, log_y, registry)
    chart = scatter_text(p, width) + (frontier_text(p) if pareto else "")
    frame = p.frame.rename(columns={"x": x, "y": y})
    what = "chips" if registry is CHIPS else "systems"
    cols = [Col.of("name", keep=True, registry=registry), Col.of("vendor", registry=registry),
            Col.of(x, registry=registry), Col.of(y, registry=registry), Col("pareto", "On frontier")]
    messages = [f"left out {p.left_out} {what} without both {x} and {y}"] if p.left_out else []
    if registry is not CHIPS and any("power" in f or "per_kw" in f for f in (x, y)):
        messages.append("power mixes scopes: a rack's or pod's stated power carries CPUs, network and cooling that "
                        "a chips-only figure does not (`chipcmp systems` shows what each covers)")
    return Result(frame[["name", "vendor", x, y, "pareto"]], cols, title=f"{y} vs {x}", chart=chart,
                  image=scatter_image(p), messages=messages,
                  assumptions={"x": x, "y": y, "log_x": log_x, "log_y": log_y, "table": what})


def bar_result(ds: "Dataset", metric: str, chips: list[str], filters: Filters, top: int | None,
               width: int) -> Result:
    frame = bars(ds, metric, chips, filters, top)
    out = frame.rename(columns={"value": metric})
    return Result(out[["name", metric]], [Col.of("name", keep=True), Col.of(metric)], title=metric,
                  chart=bars_text(frame, metric, width), image=bars_image(frame, metric),
                  assumptions={"metric": metric})
