import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleanup.jobs.funding_ranges import funding_bounds


@pytest.mark.parametrize("text, bounds", [
    ("$1M - $5M", (1_000_000, 5_000_000)),
    ("$100M - $250M", (100_000_000, 250_000_000)),
    ("$250M+", (250_000_000, None)),
    ("< $1M", (0, 1_000_000)),
    ("$500K – $1.5M", (500_000, 1_500_000)),
    ("$1,000,000 to $2,000,000", (1_000_000, 2_000_000)),
    ("undisclosed", (None, None)),
    (None, (None, None)),
])
def test_known_spellings_parse(text, bounds):
    assert funding_bounds(text) == bounds


@given(st.text(max_size=60))
def test_any_text_gives_bounds_or_nothing_and_never_raises(text):
    low, high = funding_bounds(text)
    assert low is None or 0 <= low
    assert high is None or 0 <= high


@given(st.integers(1, 999), st.integers(1, 999), st.sampled_from(["K", "M", "B"]))
def test_a_range_gives_its_two_ends(a, b, unit):
    scale = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}[unit]
    assert funding_bounds(f"${a}{unit} - ${b}{unit}") == (a * scale, b * scale)
