"""Whole numbers read from what people and other systems send (a query string, a form's
field, a header, a row of a file)."""

import sys


def whole_number(text) -> int | None:
    """`text` as a whole number of 0 or more when it is ASCII digits alone; otherwise None.

    `str.isdigit()` also passes "²" and other scripts' digits, which `int()` refuses with
    ValueError, as it refuses more digits than Python's limit: an address carrying either
    must read as "no such number", not fail."""
    text = str(text)
    limit = sys.get_int_max_str_digits()
    if text.isascii() and text.isdigit() and (not limit or len(text) <= limit):
        return int(text)
    return None
