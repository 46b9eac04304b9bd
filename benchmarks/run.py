"""chipcmp's speed and memory budget, measured as ratios against a baseline in the same run.

    python benchmarks/run.py            # every target, then the scaling curve (a few minutes)
    python benchmarks/run.py --quick    # fewer repeats and no million-row cases
    python benchmarks/run.py --record   # also append the results to benchmarks/README.md

Each target runs the chipcmp command and its baseline alternately, several times, in fresh processes, and
compares medians, so machine noise mostly cancels. Peak memory is the child's max RSS from wait4(). Each data
command is also timed split within one process (the baseline's imports, then chipcmp's own work), a ratio a
machine whose speed drifts between processes cannot tilt. Exits 1 if a target fails. Optional: if csvkit's
`csvsort` is installed, it is timed on the same file for reference.

Every baseline ends as chipcmp's process does, with `gc.freeze()`: the interpreter's last collection at exit then
skips the objects pandas' import left (~0.2 s on the benchmark machine). Without it in the baseline, the ratios
would credit chipcmp with that exit and no longer measure its own work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable


def chipcmp_cmd() -> list[str]:
    exe = Path(PY).with_name("chipcmp")
    return [str(exe)] if exe.exists() else [PY, "-m", "chipcmp"]


def run_once(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (KiB) and CPU seconds (user + system, its reaped children included) of one fresh
    process; its output is discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}")
    return elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


@dataclass
class Target:
    name: str
    cmd: list[str]
    baseline: list[str]
    baseline_name: str
    max_time_ratio: float
    max_mem_ratio: float | None = None
    env: dict[str, str] | None = None
    words: list[str] | None = None  # a data command's arguments: also measured split in one process


@dataclass
class Measured:
    target: Target
    time: float
    base_time: float
    mem: int
    base_mem: int
    cpu: float = 0.0
    base_cpu: float = 0.0
    split: float | None = None  # (imports + chipcmp's own work) / imports, timed within one process

    @property
    def time_ratio(self) -> float:
        return self.time / self.base_time

    @property
    def cpu_ratio(self) -> float:
        return self.cpu / self.base_cpu if self.base_cpu else float("nan")

    @property
    def mem_ratio(self) -> float:
        return self.mem / self.base_mem

    @property
    def ok(self) -> bool:
        t = self.target
        return self.time_ratio <= t.max_time_ratio and (t.max_mem_ratio is None or self.mem_ratio <= t.max_mem_ratio)


def measure(t: Target, repeats: int) -> Measured:
    run_once(t.cmd, t.env)  # warm the page cache and .pyc files once, unmeasured
    run_once(t.baseline)
    times, base_times, mems, base_mems, cpus, base_cpus = [], [], [], [], [], []
    for _ in range(repeats):
        a, ma, ca = run_once(t.cmd, t.env)
        b, mb, cb = run_once(t.baseline)
        times.append(a)
        base_times.append(b)
        mems.append(ma)
        base_mems.append(mb)
        cpus.append(ca)
        base_cpus.append(cb)
    split = statistics.median(split_once(t.words) for _ in range(repeats)) if t.words else None
    return Measured(t, statistics.median(times), statistics.median(base_times), max(mems), max(base_mems),
                    statistics.median(cpus), statistics.median(base_cpus), split)


# One process: the baseline's imports, timed, then the chipcmp command, timed. Both halves run within a second
# on the same core, so a machine whose speed drifts from run to run (a shared VM) cannot tilt the ratio.
SPLIT = textwrap.dedent("""
    import contextlib, io, sys, time
    t0 = time.perf_counter()
    import pandas, typer, rich.table
    t1 = time.perf_counter()
    from chipcmp.cli import main
    sys.argv = ["chipcmp", *sys.argv[1:]]
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            main()
    except SystemExit as e:
        if e.code:
            raise
    print(t1 - t0, time.perf_counter() - t1)
""")


def split_once(words: list[str]) -> float:
    out = subprocess.run([PY, "-c", SPLIT, *words], capture_output=True, text=True, check=True).stdout.split()
    base, own = float(out[0]), float(out[1])
    return (base + own) / base


BASE_RANK = textwrap.dedent("""
    import sys
    import pandas as pd
    df = pd.read_csv(sys.argv[1])
    df["bf16_tflops_per_watt"] = df["bf16_tflops"] / df["tdp_w"]
    top = df.dropna(subset=["bf16_tflops_per_watt"]).sort_values("bf16_tflops_per_watt", ascending=False).head(20)
    print(top[["name", "vendor", "bf16_tflops_per_watt", "bf16_tflops", "tdp_w"]].to_string())
    import gc; gc.freeze()  # exits as chipcmp does: see the module's docstring
""")

# The same derived columns chipcmp exports, written out by hand: ratios per precision, memory, ridge, TPP, PD.
BASE_EXPORT = textwrap.dedent("""
    import sys
    import numpy as np
    import pandas as pd
    df = pd.read_csv(sys.argv[1])
    cols = {"fp64_tflops": 64, "fp32_tflops": 32, "tf32_tflops": 32, "bf16_tflops": 16, "fp16_tflops": 16,
            "fp8_tflops": 8, "int8_tops": 8, "fp4_tflops": 4}
    watts = df["tdp_w"].where(df["tdp_w"] > 0)
    kusd = df["price_usd"].where(df["price_usd"] > 0) / 1000
    new = {}
    for c in cols:
        new[c + "_per_watt"] = df[c] / watts
    for c in cols:
        new[c + "_per_kusd"] = df[c] / kusd
    new["memory_gb_per_kusd"] = df["memory_gb"] / kusd
    new["memory_bw_per_watt"] = df["memory_bw_tbs"] * 1000 / watts
    new["ridge_point"] = df["bf16_tflops"] / df["memory_bw_tbs"].where(df["memory_bw_tbs"] > 0)
    new["bf16_tflops_per_mm2"] = df["bf16_tflops"] / df["die_area_mm2"].where(df["die_area_mm2"] > 0)
    new["tpp"] = df[list(cols)].mul(list(cols.values()), axis=1).max(axis=1)
    new["pd"] = new["tpp"] / df["die_area_mm2"].where(df["die_area_mm2"] > 0)
    out = pd.concat([df, pd.DataFrame(new)], axis=1)
    out["dataset_version"] = "x"
    out.to_csv(sys.argv[2], index=False)
    import gc; gc.freeze()  # exits as chipcmp does: see the module's docstring
""")


def targets(big: Path | None, work: Path) -> list[Target]:
    cc = chipcmp_cmd()
    import_typer = [PY, "-c", "import typer, gc; gc.freeze()"]
    import_all = [PY, "-c", "import pandas, typer, rich.table, gc; gc.freeze()"]
    complete_env = {**os.environ, "_CHIPCMP_COMPLETE": "complete_bash", "COMP_WORDS": "chipcmp compare H1",
                    "COMP_CWORD": "2"}
    out = [
        Target("chipcmp --help", [*cc, "--help"], import_typer, "import typer; freeze", 1.5),
        Target("shell completion (chip names)", cc, import_typer, "import typer; freeze", 1.5, env=complete_env),
    ]
    # Every command on the bundled data, against the imports it cannot avoid.
    for words in (["rank", "--metric", "bf16_tflops_per_watt"], ["compare", "Ascend 910B", "H100", "H20"],
                  ["list"], ["show", "Ascend 910B"], ["show", "H20", "--sources"], ["export"], ["metrics"],
                  ["audit"], ["controls"], ["roofline", "--intensity", "100"], ["plot", "tdp_w", "bf16_tflops"],
                  ["train", "--model", "Llama 3.1 70B", "--tokens", "15T", "--chips", "4096"],
                  ["serve", "--model", "Llama 3.1 70B", "--weights", "fp8"], ["models"], ["systems"],
                  ["match", "Ascend 910B", "--to", "H100", "--count", "10000", "--by", "all"], ["calibration"],
                  ["plan", "serve", "--model", "Llama 3.1 70B", "--weights", "fp8", "--output-rate", "100000"],
                  ["plan", "train", "--model", "Llama 3.1 70B", "--tokens", "15T", "--days", "90"]):
        out.append(Target(" ".join(words), [*cc, *words], import_all, "import pandas, typer, rich.table; freeze",
                          1.15, words=words))
    if big is not None:
        (work / "base_rank.py").write_text(BASE_RANK)
        (work / "base_export.py").write_text(BASE_EXPORT)
        out += [
            Target(f"rank --top 20 --data ({big.name})",
                   [*cc, "rank", "--metric", "bf16_tflops_per_watt", "--top", "20", "--data", str(big)],
                   [PY, str(work / "base_rank.py"), str(big)], "pandas script: read, ratio, sort, head", 1.5, 1.5),
            Target(f"export -o out.csv --data ({big.name})",
                   [*cc, "export", "--data", str(big), "-o", str(work / "out.csv")],
                   [PY, str(work / "base_export.py"), str(big), str(work / "base.csv")],
                   "pandas script: read, metrics, write", 1.5, 1.5),
        ]
    return out


def generate(rows: int, path: Path) -> None:
    subprocess.run([PY, str(HERE / "generate.py"), str(rows), str(path)], check=True)


def scaling(work: Path, sizes: list[int], repeats: int) -> list[tuple[int, float, float]]:
    cc = chipcmp_cmd()
    curve = []
    for n in sizes:
        path = work / f"scale_{n}.csv"
        if not path.exists():
            generate(n, path)
        rank = statistics.median(run_once([*cc, "rank", "--metric", "tpp", "--top", "20", "--data", str(path)])[0]
                                 for _ in range(repeats))
        export = statistics.median(run_once([*cc, "export", "--data", str(path), "-o", str(work / "s.csv")])[0]
                                   for _ in range(repeats))
        curve.append((n, rank, export))
    return curve


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import pandas as pd
    import typer

    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, pandas {pd.__version__}, "
            f"typer {typer.__version__}")


def report(results: list[Measured], curve: list[tuple[int, float, float]]) -> str:
    lines = [f"### {dt.date.today().isoformat()} — {machine()}", "",
             "| target | chipcmp | baseline | time ratio (max) | CPU ratio | one process | memory ratio (max) "
             "| result |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for m in results:
        t = m.target
        mem = f"{m.mem_ratio:.2f} ({t.max_mem_ratio})" if t.max_mem_ratio else "—"
        split = f"{m.split:.2f}" if m.split else "—"
        lines.append(f"| {t.name} | {m.time:.3f} s | {m.base_time:.3f} s ({t.baseline_name}) | "
                     f"{m.time_ratio:.2f} ({t.max_time_ratio}) | {m.cpu_ratio:.2f} | {split} | {mem} | "
                     f"{'pass' if m.ok else 'FAIL'} |")
    if curve:
        lines += ["", "| rows | rank --top 20 | export | export s per 1k rows |", "|---:|---:|---:|---:|"]
        for n, r, e in curve:
            lines.append(f"| {n:,} | {r:.2f} s | {e:.2f} s | {1000 * e / n:.4f} |")
    return "\n".join(lines) + "\n"


def compile_package() -> None:
    """Byte-compile chipcmp as `pip install` does, so an editable checkout (or PYTHONDONTWRITEBYTECODE) does not
    charge chipcmp for compiling its sources on every run while the baseline's libraries come precompiled."""
    import chipcmp

    subprocess.run([PY, "-m", "compileall", "-q", str(Path(chipcmp.__file__).parent)], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 repeats, no million-row cases")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the large user CSV")
    parser.add_argument("--record", action="store_true", help="append the results to benchmarks/README.md")
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 7)
    compile_package()
    with tempfile.TemporaryDirectory(prefix="chipcmp-bench-") as d:
        work = Path(d)
        big = None
        if not args.quick:
            big = work / f"chips_{args.rows}.csv"
            print(f"generating {args.rows:,} synthetic rows ...", file=sys.stderr)
            generate(args.rows, big)
        results = []
        for t in targets(big, work):
            m = measure(t, repeats if big is None or "--data" not in " ".join(t.cmd) else max(3, repeats // 2))
            results.append(m)
            print(f"{'pass' if m.ok else 'FAIL'}  {t.name}: {m.time:.3f} s vs {m.base_time:.3f} s = "
                  f"{m.time_ratio:.2f}x (max {t.max_time_ratio}), CPU {m.cpu_ratio:.2f}x"
                  + (f", one process {m.split:.2f}x" if m.split else "")
                  + (f", memory {m.mem_ratio:.2f}x (max {t.max_mem_ratio})" if t.max_mem_ratio else ""))
        curve = [] if args.quick else scaling(work, [10_000, 100_000, args.rows], 3)
        for n, r, e in curve:
            print(f"scale {n:>9,} rows: rank {r:.2f} s, export {e:.2f} s")
        if big is not None and shutil.which("csvsort"):
            t0 = time.perf_counter()
            subprocess.run(["csvsort", "-c", "bf16_tflops", "-r", str(big)], stdout=subprocess.DEVNULL, check=False)
            print(f"reference: csvkit csvsort on the same file took {time.perf_counter() - t0:.1f} s")
    text = report(results, curve)
    if args.record:
        with (HERE / "README.md").open("a", encoding="utf-8") as f:
            f.write("\n" + text)
    print(text)
    sys.exit(0 if all(m.ok for m in results) else 1)


if __name__ == "__main__":
    main()
