"""The model catalogue (data/models.csv): shapes of named models, dense and mixture-of-experts, from each model's
own config or model card. `train` and `serve` take `--model NAME` for these, or `--params` for anything else.
"""

from typing import NamedTuple

from chipcmp.data.names import fold, suggest
from chipcmp.data.reader import Rows, bundled, derive
from chipcmp.errors import UsageError

MODELS = "models.csv"


class Model(NamedTuple):
    """What an estimate needs of a transformer. Parameters are counts (not billions)."""

    name: str
    params: float  # total
    active_params: float  # per token (= params for a dense model)
    layers: int | None = None
    hidden: int | None = None
    heads: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None
    attention: str = ""  # MHA, GQA or MLA
    kv_lora_rank: int | None = None
    qk_rope_head_dim: int | None = None
    context: int | None = None
    experts: int | None = None
    experts_per_token: int | None = None
    source: str = ""
    kind: str = "dense"
    native: str = ""  # the precision its official weights are released in (models.csv)

    @property
    def moe(self) -> bool:
        """A mixture of experts: fewer parameters active per token than it has (--params with --active-params
        is one too, whether or not its experts are described)."""
        return self.active_params < self.params

    def kv_elements_per_token(self) -> float | None:
        """KV-cache elements one token keeps across all layers: 2 × KV heads × head size per layer (MHA/GQA), or
        the compressed latent plus the RoPE key per layer (MLA, as DeepSeek-V3 stores it)."""
        if not self.layers:
            return None
        if self.attention == "MLA":
            if self.kv_lora_rank is None or self.qk_rope_head_dim is None:
                return None
            return float(self.layers * (self.kv_lora_rank + self.qk_rope_head_dim))
        if self.kv_heads and self.head_dim:
            return float(self.layers * 2 * self.kv_heads * self.head_dim)
        return None

    def weight_split(self) -> tuple[float, float]:
        """(parameters every token uses, parameters of all routed experts): expert size from the two counts."""
        if not self.moe:
            return self.params, 0.0
        e, k = float(self.experts or 0), float(self.experts_per_token or 0)
        if not e or e <= k:  # experts not described (--params with --active-params): all but the active routed
            return self.active_params, self.params - self.active_params
        expert = (self.params - self.active_params) / (e - k)
        return self.active_params - k * expert, e * expert

    def attention_flops_per_token(self, context: float) -> float:
        """Score and value FLOPs of one new token against `context` earlier ones (2 matmuls × 2 FLOPs/MAC)."""
        if not (self.layers and self.heads and self.head_dim):
            return 0.0
        return 4.0 * self.layers * self.heads * self.head_dim * context


def _int(text: str) -> int | None:
    try:
        return int(float(text))
    except ValueError:
        return None


def _catalogue(rows: Rows) -> tuple[Model, ...]:
    out = []
    for r in rows:
        try:
            total, active = float(r["total_params_b"]) * 1e9, float(r["active_params_b"]) * 1e9
        except (KeyError, ValueError):
            continue
        out.append(Model(r["name"], total, active, _int(r["layers"]), _int(r["hidden_size"]),
                         _int(r["attention_heads"]), _int(r["kv_heads"]), _int(r["head_dim"]),
                         r.get("attention", ""), _int(r.get("kv_lora_rank", "")), _int(r.get("qk_rope_head_dim", "")),
                         _int(r.get("context_length", "")), _int(r.get("experts", "")),
                         _int(r.get("experts_per_token", "")), r.get("source_url", ""), r.get("kind", "dense"),
                         r.get("native_precision", "").lower()))
    return tuple(out)


def catalogue() -> tuple[Model, ...]:
    return derive(bundled(MODELS), _catalogue)


def aliases() -> dict[str, str]:
    """Folded name or alias -> model name."""
    return derive(bundled(MODELS), _aliases)


def _aliases(rows: Rows) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in rows:
        for word in [r["name"], *r.get("aliases", "").split("|")]:
            if word.strip():
                out.setdefault(fold(word), r["name"])
    return out


def find(name: str) -> Model:
    """The catalogue's model called `name` (case and punctuation don't matter), or a usage error suggesting."""
    known = aliases()
    hit = known.get(fold(name))
    if hit is None:
        raise UsageError(f"unknown model {name!r}" + (suggest(name, list(known.values()))
                                                       or "; `chipcmp models` lists the catalogue") +
                         "\n(or describe it with --params and --active-params)")
    return next(m for m in catalogue() if m.name == hit)
