"""The teacher's path keeps its place: what My NPQs offers, and dates that say their year."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from applications.models import Application
from applications.steps import FIND_A_LOST_TRN, TrnForm
from applications.tests.factories import ApplicationFactory
from cohorts.tests.factories import SessionFactory
from npq_portal.templatetags.dates import when
from npq_portal.tests.factories import UserFactory, sign_in

from .factories import EnrolmentFactory

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 12, 5, 10, tzinfo=datetime.UTC)


def test_a_draft_on_my_npqs_offers_to_continue_the_application(client):
    teacher = UserFactory()
    draft = ApplicationFactory(applicant=teacher, status=Application.Status.DRAFT)
    sign_in(client, teacher)

    page = client.get(reverse("participants:teacher-home")).content.decode()

    continue_link = f'href="{reverse("applications:apply", args=[draft.cohort_id])}"'
    assert "Continue your application" in page and continue_link in page


@time_machine.travel(NOW)
def test_a_session_more_than_six_months_away_shows_its_year(client):
    teacher = UserFactory()
    place = EnrolmentFactory(participant=teacher)
    SessionFactory(
        cohort=place.cohort, title="Clinic 1", starts_at=NOW + datetime.timedelta(days=30)
    )
    SessionFactory(
        cohort=place.cohort, title="Clinic 9", starts_at=NOW + datetime.timedelta(days=220)
    )
    sign_in(client, teacher)

    page = client.get(reverse("cohorts:my-calendar")).content.decode()

    soon, far = NOW + datetime.timedelta(days=30), NOW + datetime.timedelta(days=220)
    assert f"{soon:%a} {soon.day} {soon:%b}, " in page  # soon: no year needed
    assert f"{far:%a} {far.day} {far:%b} {far.year}, " in page


@time_machine.travel(NOW)
def test_when_says_the_year_only_for_dates_far_from_today():
    near, past, far = (NOW + datetime.timedelta(days=days) for days in (100, -200, 400))
    assert when(near) == f"{near:%a} {near.day} {near:%b}, 10:00"
    assert when(past) == f"{past:%a} {past.day} {past:%b} 2026, 11:00"  # summer time
    assert when(far, False) == f"{far:%a} {far.day} {far:%b} 2028"
    assert when(None) == ""


def test_the_trn_question_links_to_find_a_lost_trn():
    help_text = str(TrnForm().fields["trn"].help_text)

    assert f'<a href="{FIND_A_LOST_TRN}">find a lost TRN</a>' in help_text
