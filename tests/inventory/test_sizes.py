"""Sizes in shop-floor order, and a step up or down a size run."""

import pytest

from inventory.sizes import sort_sizes, step_size


def test_sizes_sort_letters_then_numbers():
    assert sort_sizes(["L", "42", "XS", "M", "38"]) == ["XS", "M", "L", "38", "42"]


@pytest.mark.parametrize(
    ("size", "steps", "offered", "expected"),
    [
        ("M", 1, (), "L"),
        ("m", -1, (), "S"),
        ("XXXL", 1, (), "XXXL"),  # the end of the run stays the end
        ("41", 1, ("40", "41", "42"), "42"),
        ("6Y", 1, ("4Y", "6Y", "8Y"), "8Y"),
        ("36", -1, ("36", "37"), "36"),
        ("41", 1, (), None),  # a number on no known run
        ("One size", 1, ("One size",), "One size"),
        ("M", 1, ("S", "M", "XL"), "XL"),  # the product's own run skips L
    ],
)
def test_step_size_moves_along_the_products_run_or_the_letter_sizes(
    size, steps, offered, expected
):
    assert step_size(size, steps, offered) == expected
