"""The rules a chips file must follow, declared once as tables. The schema gives each column its plausible range
(the loader refuses a value outside it, the audit reports it); these tables add what holds between figures. The
audit (`chipcmp audit`, run by CI on the bundled data) checks every rule, the loader the hard ones, and the tests
drive both with a fixture per rule: no rule is written a second time anywhere.
"""

from __future__ import annotations

from chipcmp.data import schema

# Redundant facts that disagree: (code, numerator, denominator, op, threshold, message). A warning each: the
# figures are possible, but a chip that breaks one is far more often a mis-entered figure.
RATIO_RULES: tuple[tuple[str, str, str, str, float, str], ...] = (
    ("sparse-ratio", "fp8_tflops", "bf16_tflops", ">", 3.5,
     "FP8 is {r:.1f}× BF16 (dense FP8 is normally 2×): is the FP8 figure a sparse one?"),
    ("sparse-ratio", "int8_tops", "fp16_tflops", ">", 3.5,
     "INT8 is {r:.1f}× FP16 (dense INT8 is normally 2×): is the INT8 figure a sparse one?"),
    ("sparse-ratio", "bf16_tflops", "tf32_tflops", ">", 3.5,
     "BF16 is {r:.1f}× TF32 (normally 2×): is the BF16 figure a sparse one?"),
    ("sparse-ratio", "fp4_tflops", "fp8_tflops", ">", 3.5,
     "FP4 is {r:.1f}× FP8 (normally 2×): is the FP4 figure a sparse one?"),
    ("bf16-fp16", "bf16_tflops", "fp16_tflops", ">", 1.05,
     "BF16 is {r:.2f}× FP16; chips that run both run them at one rate"),
    ("bf16-fp16", "fp16_tflops", "bf16_tflops", ">", 1.05,
     "FP16 is {r:.2f}× BF16; chips that run both run them at one rate"),
    ("tensor-below-fp32", "bf16_tflops", "fp32_tflops", "<", 1.0,
     "BF16 is {r:.2f}× the vector FP32 figure: a matrix rate below the vector rate is a mix-up"),
    ("tensor-below-fp32", "fp16_tflops", "fp32_tflops", "<", 1.0,
     "FP16 is {r:.2f}× the vector FP32 figure: a matrix rate below the vector rate is a mix-up"),
    ("tensor-below-fp32", "tf32_tflops", "fp32_tflops", "<", 1.0,
     "TF32 is {r:.2f}× the vector FP32 figure: a matrix rate below the vector rate is a mix-up"),
    ("precision-order", "fp8_tflops", "bf16_tflops", "<", 1.0,
     "FP8 is {r:.2f}× BF16: a lower precision is never slower"),
    ("precision-order", "fp4_tflops", "fp8_tflops", "<", 1.0,
     "FP4 is {r:.2f}× FP8: a lower precision is never slower"),
)


# Magnitudes no non-wafer, DRAM-based package reaches: a value past them is almost surely in the wrong unit.
PACKAGE_LIMITS = {"memory_bw_tbs": (30.0, "TB/s (GB/s entered as TB/s?)"), "tdp_w": (3000.0, "W (mW?)"),
                   **{p.column: (50_000.0, f"{p.unit.upper()} (GFLOPS entered as TFLOPS?)") for p in schema.PRECISIONS}}



# Columns that hold whole numbers only.
WHOLE_COLUMNS = ("release_year", "compute_dies")
