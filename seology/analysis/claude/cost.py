"""What an analysis costs: list prices per model family, and billed usage in USD."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from seology.analysis.model import AnalysisUsage


@dataclass(frozen=True)
class Price:
    """List price in USD per million tokens.

    A 5-minute cache write costs 1.25 times the input price, a cache read 0.1 times.
    """

    input: float
    output: float

    @property
    def cache_write(self) -> float:
        return self.input * 1.25

    @property
    def cache_read(self) -> float:
        return self.input * 0.1


#: Model-name prefix → list price (anthropic.com/pricing, 2025), most specific first.
#: An unknown model is priced as the default family: the cost stays an estimate.
PRICES: tuple[tuple[str, Price], ...] = (
    ("claude-opus-4-5", Price(5.0, 25.0)),
    ("claude-opus-4", Price(15.0, 75.0)),
    ("claude-3-opus", Price(15.0, 75.0)),
    ("claude-sonnet-4", Price(3.0, 15.0)),
    ("claude-3-7-sonnet", Price(3.0, 15.0)),
    ("claude-3-5-sonnet", Price(3.0, 15.0)),
    ("claude-haiku-4-5", Price(1.0, 5.0)),
    ("claude-3-5-haiku", Price(0.8, 4.0)),
    ("claude-3-haiku", Price(0.25, 1.25)),
)
DEFAULT_PRICE = ("claude-sonnet-4", Price(3.0, 15.0))


def price_for(model: str) -> tuple[str, Price]:
    """(family, price) of `model`; the default family for a model we do not know."""
    for prefix, price in PRICES:
        if model.startswith(prefix):
            return prefix, price
    return DEFAULT_PRICE


def cost_usd(usage: AnalysisUsage) -> float:
    """The estimated cost of `usage` at `usage.model`'s list price."""
    _, price = price_for(usage.model)
    total = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_write_tokens * price.cache_write
        + usage.cache_read_tokens * price.cache_read
    )
    return round(total / 1_000_000, 6)


def add_usage(usage: AnalysisUsage, answer_usage: dict[str, Any]) -> AnalysisUsage:
    """`usage` plus one answer's `usage` object (the API's names)."""
    return replace(
        usage,
        input_tokens=usage.input_tokens + int(answer_usage.get("input_tokens") or 0),
        output_tokens=usage.output_tokens + int(answer_usage.get("output_tokens") or 0),
        cache_read_tokens=usage.cache_read_tokens
        + int(answer_usage.get("cache_read_input_tokens") or 0),
        cache_write_tokens=usage.cache_write_tokens
        + int(answer_usage.get("cache_creation_input_tokens") or 0),
        calls=usage.calls + 1,
    )
