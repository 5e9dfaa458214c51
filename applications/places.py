"""The places that accepted applications make, reached without importing the app that holds them.

A place (`participants.Enrolment`) belongs to the participants app, which depends on this one.
Yet accepting an application makes a place, a cohort's capacity counts them, the application
page shows the place it made, and an NPQLPM application reads the applicant's completed Teaching
for Mastery places. So the participants app registers, in its AppConfig.ready(), a keeper that
does those four things; this app calls it and never imports participants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class CompletedPlace:
    """A place someone completed: its programme, school year and school (blank: none named)."""

    programme_id: int
    academic_year: int  # 2025 means 2025/26
    school_name: str = ""


class PlaceKeeper(Protocol):
    def taken(self, cohort) -> int:
        """How many of the cohort's places are held now."""

    def make(self, *, application, cohort) -> Any:
        """Make the applicant's place in `cohort` for their accepted `application`."""

    def application_context(self, *, application, user) -> dict:
        """What the application's page shows of the places it made, for `user`."""

    def holding(self, *, cohort, emails: list[str]) -> str | None:
        """The first of these addresses whose account holds a place in `cohort` (active or
        deferred), or None."""

    def completed(self, *, user, programme_ids) -> list[CompletedPlace]:
        """The places `user` completed in any of the programmes."""


_keeper: PlaceKeeper | None = None


def places_register(keeper: PlaceKeeper) -> None:
    """Name the keeper of places (the participants app does, once, when Django starts)."""
    global _keeper
    _keeper = keeper


def places() -> PlaceKeeper:
    """The registered keeper of places. Raises ImproperlyConfigured when there is none."""
    if _keeper is None:
        raise ImproperlyConfigured("No app keeps places: add participants to INSTALLED_APPS.")
    return _keeper
