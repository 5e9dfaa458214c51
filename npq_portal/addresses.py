"""`row_address(name)`: a URL with a row's id in it, reversed once for a table drawn in Python and
filled in for each row (reversing it for every row of a long table cost more than drawing it)."""

from collections.abc import Callable

from django.urls import reverse

RowAddress = Callable[[object], str]
_ANY_ID = "2147483647"  # stands for each row's id in the address reversed once


def row_address(name: str) -> RowAddress:
    """The address named `name` for a row's id (its only argument), as `reverse` gives it."""
    address = reverse(name, args=[int(_ANY_ID)])
    return lambda pk: address.replace(_ANY_ID, str(pk))
