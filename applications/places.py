"""The places that accepted applications make, reached without importing the app that holds them.

A place (`participants.Enrolment`) belongs to the participants app, which depends on this one.
Yet accepting an application makes a place, a cohort's capacity counts them, and the application
page shows the place it made. So the participants app registers, in its AppConfig.ready(), a
keeper that does those three things; this app calls it and never imports participants.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured


class PlaceKeeper(Protocol):
    def taken(self, cohort) -> int:
        """How many of the cohort's places are held now."""

    def make(self, *, application, cohort) -> Any:
        """Make the applicant's place in `cohort` for their accepted `application`."""

    def application_context(self, *, application, user) -> dict:
        """What the application's page shows of the places it made, for `user`."""


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
