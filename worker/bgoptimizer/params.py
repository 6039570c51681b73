"""Every fit parameter, its default, range and help, declared once.

The CLI flags, the HTTP schema and the JSON fixture the PixInsight script is tested against
(``tests/fixtures/params.json``) are all generated from :class:`FitParams`' field metadata,
so a parameter is added or changed here and nowhere else.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .exceptions import ParameterError

__all__ = ["DEVICES", "FitParams", "ParamSpec", "param_specs", "params_schema"]

DEVICES = ("auto", "cpu", "gpu")
"""What can run the engine: ``auto`` takes the first GPU when there is one, else the CPU."""


@dataclass(frozen=True)
class ParamSpec:
    """What a parameter accepts: bounds (inclusive unless marked open), or a set of choices."""

    help: str
    short: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple[str, ...] | None = None


def _p(default: Any, help: str, **spec: Any) -> Any:
    return field(default=default, metadata={"spec": ParamSpec(help=help, **spec)})


@dataclass(frozen=True)
class FitParams:
    """All parameters of one background fit. Build with :meth:`from_mapping` to validate.

    Examples
    --------
    >>> p = FitParams.from_mapping({"samples": 16, "correction": "divide"})
    >>> (p.samples, p.order, p.correction)
    (16, 2, 'divide')
    """

    samples: int = _p(32, "number of spline samples N", short="-N", minimum=3, maximum=512)
    order: int = _p(
        2,
        "polyharmonic order k (phi = r^k, r^k log r for even k)",
        short="-O",
        minimum=1,
        maximum=4,
    )
    downscale: int = _p(
        0,
        "block size of the working image; 0 (default) picks the one that"
        " brings the long side to ~128 working pixels",
        short="-dx",
        minimum=0,
        maximum=256,
    )
    downscale_function: str = _p(
        "median", "how blocks are reduced", short="-df", choices=("median", "mean")
    )
    quantile: float = _p(0.95, "stretch scale quantile q", short="-dq", minimum=0.5, maximum=1.0)
    target: float = _p(0.25, "stretch target background t", short="-dt", minimum=0.01, maximum=0.9)
    threshold_min: float = _p(
        0.0, "stretched values below this get weight 0", short="-tm", minimum=0.0, maximum=10.0
    )
    threshold_max: float = _p(
        10.0,
        "stretched values above this (before clipping) get weight 0;"
        " 1 is the stretch's white point, the default 10 excludes nothing"
        " but star cores",
        short="-tM",
        minimum=0.0,
        maximum=10.0,
    )
    initializer: str = _p(
        "grid", "initial sample positions", short="-i", choices=("grid", "random")
    )
    epochs: int = _p(1000, "maximum optimisation epochs", short="-e", minimum=1, maximum=100000)
    alpha: float = _p(
        2.0,
        "weight alpha of the overshoot and negative terms",
        short="-a",
        minimum=0.0,
        maximum=1000.0,
    )
    learning_rate: float = _p(
        0.01, "Adam learning rate", short="-lr", minimum=0.0, exclusive_minimum=True, maximum=1.0
    )
    correction: str = _p(
        "subtract", "how the model is removed", short="-c", choices=("subtract", "divide")
    )
    seed: int = _p(0, "random seed (same seed, same result)", minimum=0, maximum=2**31 - 1)
    error_weight: float = _p(1.0, "weight of the mean |residual| term", minimum=0.0, maximum=1000.0)
    colour_weight: float = _p(
        1.0, "weight of the colour-balance term (RGB only)", minimum=0.0, maximum=1000.0
    )
    overshoot_weight: float = _p(
        1.0, "weight of the overshoot term (times alpha)", minimum=0.0, maximum=1000.0
    )
    negative_weight: float = _p(
        1.0, "weight of the negative-model term (times alpha)", minimum=0.0, maximum=1000.0
    )
    regularisation: float = _p(
        0.1, "smoothing added to the spline system's diagonal", minimum=0.0, maximum=1000.0
    )
    rejection_passes: int = _p(
        2, "refits with blocks far above the model rejected (0: none)", minimum=0, maximum=10
    )
    rejection_sigma: float = _p(
        3.0,
        "blocks this many robust sigma above the model are rejected",
        minimum=0.5,
        maximum=100.0,
    )
    first_regularisation: float = _p(
        0.3, "smoothing of the first pass when refits follow", minimum=0.0, maximum=1000.0
    )
    rejection_grow: int = _p(
        2, "blocks by which each rejected area is grown", minimum=0, maximum=32
    )
    patience: int = _p(
        50, "epochs without improvement before stopping early", minimum=1, maximum=100000
    )
    min_delta: float = _p(
        5e-5, "smallest loss decrease that counts as improvement", minimum=0.0, maximum=1.0
    )
    lr_patience: int = _p(
        20, "epochs without improvement before the learning rate drops", minimum=1, maximum=100000
    )
    lr_factor: float = _p(
        0.5,
        "factor applied to the learning rate on a plateau",
        minimum=0.0,
        exclusive_minimum=True,
        maximum=1.0,
    )
    preview_every: int = _p(
        25, "epochs between live-preview events (0: none)", minimum=0, maximum=100000
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = _check(f.name, getattr(self, f.name), f.type, f.metadata["spec"])
            object.__setattr__(self, f.name, value)  # ints given for floats become floats
        if self.threshold_min >= self.threshold_max:
            raise ParameterError(
                f"threshold_min ({self.threshold_min}) must be below threshold_max "
                f"({self.threshold_max})"
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> FitParams:
        """Validate a mapping (JSON body, settings) into parameters; unknown names are errors."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ParameterError(f"unknown parameter(s): {', '.join(unknown)}")
        return cls(**dict(values))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of every parameter."""
        return dataclasses.asdict(self)


_TYPES: dict[str, type] = {"int": int, "float": float, "str": str}


def _check(name: str, value: Any, type_name: Any, spec: ParamSpec) -> Any:
    want = _TYPES[str(type_name)]
    if want is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, want):
        raise ParameterError(f"{name} must be {want.__name__}, got {value!r}")
    if spec.choices is not None and value not in spec.choices:
        raise ParameterError(f"{name} must be one of {', '.join(spec.choices)}, got {value!r}")
    if want is float and not math.isfinite(value):
        raise ParameterError(f"{name} must be finite, got {value!r}")
    low_bad = spec.minimum is not None and (
        value <= spec.minimum if spec.exclusive_minimum else value < spec.minimum
    )
    high_bad = spec.maximum is not None and value > spec.maximum
    if low_bad or high_bad:
        low = "(" if spec.exclusive_minimum else "["
        raise ParameterError(
            f"{name} must be in {low}{spec.minimum}, {spec.maximum}], got {value!r}"
        )
    return value


def param_specs() -> dict[str, tuple[type, Any, ParamSpec]]:
    """Name -> (python type, default, spec) for every parameter, in declaration order."""
    return {
        f.name: (_TYPES[str(f.type)], f.default, f.metadata["spec"])
        for f in dataclasses.fields(FitParams)
    }


def params_schema() -> dict[str, dict[str, Any]]:
    """JSON description of every parameter (the fixture shared with the PixInsight script)."""
    out: dict[str, dict[str, Any]] = {}
    for name, (kind, default, spec) in param_specs().items():
        entry: dict[str, Any] = {"type": kind.__name__, "default": default, "help": spec.help}
        for key in ("short", "minimum", "maximum", "choices"):
            value = getattr(spec, key)
            if value is not None:
                entry[key] = list(value) if key == "choices" else value
        if spec.exclusive_minimum:
            entry["exclusive_minimum"] = True
        out[name] = entry
    return out
