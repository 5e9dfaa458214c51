"""Personal data held by apps above privacy, which privacy may not import (the layer order in
the README). Such an app registers, in its AppConfig.ready(), a source (what it holds about a
person, for the subject access export) and an eraser (called inside person_erase's
transaction). Both take the person and every address they have used (lower case).
"""

from __future__ import annotations

from collections.abc import Callable

from npq_portal.models import User

# (person, emails) -> [(the export's section name, its rows)]; each row a flat dict.
Source = Callable[[User, set[str]], list[tuple[str, list[dict]]]]
# (person, emails) -> {what was changed: how many}, for the erasure's record.
Eraser = Callable[[User, set[str]], dict[str, int]]

# By name, so registering again (a second ready(), a test) replaces rather than doubles.
_sources: dict[str, Source] = {}
_erasers: dict[str, Eraser] = {}


def personal_data_source_register(*, name: str, source: Source) -> None:
    """Include what `source` returns in every subject access export."""
    _sources[name] = source


def personal_data_eraser_register(*, name: str, eraser: Eraser) -> None:
    """Call `eraser` whenever a person is erased, inside the erasure's transaction."""
    _erasers[name] = eraser


def personal_data_sources() -> list[Source]:
    """Every registered source, in the order registered."""
    return list(_sources.values())


def personal_data_erasers() -> list[Eraser]:
    """Every registered eraser, in the order registered."""
    return list(_erasers.values())
