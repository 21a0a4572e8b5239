"""Request integers: strict (no booleans, no strings), but `1.0` is the integer 1."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from seology.api.schemas.jobs import CleanupRequest, CrawlRequest


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        (1, 1),
        (1.0, 1),  # a JSON number without a fraction is an integer (JSON Schema agrees)
        (30.0, 30),
    ],
)
def test_integral_numbers_are_integers(sent, read):
    assert CleanupRequest.model_validate({"daysOld": sent}).days_old == read


@pytest.mark.parametrize(
    "sent",
    [
        True,  # not 1
        "10",  # not 10
        1.5,  # a fraction
        float("inf"),
        1e300,  # integral, but out of range
    ],
)
def test_other_values_are_refused(sent):
    with pytest.raises(ValidationError):
        CrawlRequest.model_validate({"siteId": sent})
