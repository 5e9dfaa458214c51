import pytest
from django.core.exceptions import ImproperlyConfigured

from applications import places as places_module
from applications.places import places
from participants.places import EnrolmentPlaces


def test_participants_keeps_the_places_accepted_applications_make():
    assert isinstance(places(), EnrolmentPlaces)


def test_without_a_keeper_accepting_says_which_app_is_missing(monkeypatch):
    monkeypatch.setattr(places_module, "_keeper", None)

    with pytest.raises(ImproperlyConfigured, match="add participants to INSTALLED_APPS"):
        places()
