"""The model catalogue as a table."""

from __future__ import annotations

from chipcmp.data.models import catalogue


def models_table():  # type: ignore[no-untyped-def]
    """The catalogue as a Result for `chipcmp models`."""
    import pandas as pd

    from chipcmp.core.result import Col, Result

    rows = []
    for m in catalogue():
        kv = m.kv_elements_per_token()
        rows.append({"name": m.name, "kind": m.kind, "params_b": m.params / 1e9, "active_b": m.active_params / 1e9,
                     "layers": m.layers, "hidden": m.hidden, "heads": m.heads, "kv_heads": m.kv_heads,
                     "attention": m.attention, "experts": m.experts, "experts_per_token": m.experts_per_token,
                     "context": m.context, "kv_kib_per_token_bf16": kv * 2 / 1024 if kv else None, "source": m.source})
    frame = pd.DataFrame(rows)
    cols = [Col("name", "Model", keep=True), Col("kind", "Kind"), Col("params_b", "Params (B)", True, keep=True),
            Col("active_b", "Active (B)", True, keep=True), Col("layers", "Layers", True, kind="int"),
            Col("hidden", "Hidden", True, kind="int"), Col("heads", "Heads", True, kind="int"),
            Col("kv_heads", "KV heads", True, kind="int"), Col("attention", "Attention"),
            Col("experts", "Experts", True, kind="int"), Col("experts_per_token", "Top-k", True, kind="int"),
            Col("context", "Context", True, kind="count"),
            Col("kv_kib_per_token_bf16", "KV per token (KiB, BF16)", True), Col("source", "Source")]
    return Result(frame, cols, title=f"{len(rows)} models",
                  notes=["Shapes from each model's own config or model card (the Source column). MoE models "
                         "compute with their active parameters; `chipcmp train/serve --model NAME` uses them."])
