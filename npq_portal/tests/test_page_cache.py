from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.contrib.messages.constants import SUCCESS
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from npq_portal.page_cache import page_cache_stats, page_cache_stats_reset
from npq_portal.roles import Role
from npq_portal.services import user_set_roles
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from programmes.tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages():
    programme = ProgrammeFactory(status="offered")
    return [reverse("programmes:programme-list"), programme.get_absolute_url()]


def test_a_signed_in_persons_page_is_never_shown_to_a_visitor(client, pages):
    person = UserFactory(email="someone.private@oakfield.example")
    sign_in(client, person)

    for url in pages:
        assert person.email in client.get(url).content.decode()
        visitor_page = Client().get(url).content.decode()
        assert person.email not in visitor_page and "csrfmiddlewaretoken" not in visitor_page


def test_a_visitors_cached_page_is_never_shown_to_someone_signed_in(client, pages):
    person = UserFactory(email="someone.private@oakfield.example")
    for url in pages:
        Client().get(url)  # stored for visitors
    sign_in(client, person)

    for url in pages:
        assert person.email in client.get(url).content.decode()


def test_visitors_without_cookies_share_one_copy(pages, django_assert_num_queries):
    Client().get(pages[0])

    with django_assert_num_queries(0):
        response = Client().get(pages[0])

    assert response.status_code == 200


# ---- A signed-in session's own copies ----


@pytest.fixture
def teacher_home(settings, client):
    """A teacher signed in, with the signed-in page cache on (it is on wherever Redis is)."""
    settings.SIGNED_IN_PAGE_SECONDS = 60
    teacher = UserFactory()
    sign_in(client, teacher)
    return teacher, reverse("participants:teacher-home")


def _cohort_name_on(client, url, cohort) -> bool:
    return cohort.name in client.get(url).content.decode()


def _visit_until_kept(client, url) -> None:
    """The first visits set the CSRF cookie, and a page that sets a cookie is not kept."""
    client.get(url)
    client.get(url)


def test_a_repeat_visit_with_nothing_changed_is_served_its_copy(
    client, teacher_home, django_assert_max_num_queries
):
    teacher, url = teacher_home
    ApplicationFactory(applicant=teacher, submitted_at=timezone.now())
    _visit_until_kept(client, url)
    first = client.get(url)

    with django_assert_max_num_queries(2):  # the session and the person, nothing else
        again = client.get(url)

    assert again.status_code == 200 and again.content == first.content


def test_any_change_is_shown_at_the_next_visit(client, teacher_home):
    teacher, url = teacher_home
    _visit_until_kept(client, url)
    application = ApplicationFactory(applicant=teacher, submitted_at=timezone.now())

    assert _cohort_name_on(client, url, application.cohort)

    Application.objects.filter(pk=application.pk).update(status=Application.Status.WITHDRAWN)
    assert not _cohort_name_on(client, url, application.cohort)  # withdrawn ones are hidden


def test_the_copy_is_this_sessions_alone(client, teacher_home):
    teacher, url = teacher_home
    application = ApplicationFactory(applicant=teacher, submitted_at=timezone.now())
    _visit_until_kept(client, url)
    someone_else = Client()
    sign_in(someone_else, UserFactory())

    assert not _cohort_name_on(someone_else, url, application.cohort)


def test_signing_out_ends_it(client, teacher_home):
    _, url = teacher_home
    _visit_until_kept(client, url)
    client.post(reverse("account_logout"))

    response = client.get(url)

    assert response.status_code == 302 and "login" in response.url


def test_a_waiting_message_a_hard_reload_and_a_new_minute_draw_the_page_afresh(
    client, teacher_home
):
    _, url = teacher_home
    _visit_until_kept(client, url)
    assert _queries(client, url) == 2  # kept: the session and the person

    waiting = CookieStorage(RequestFactory().get(url))
    client.cookies[CookieStorage.cookie_name] = waiting._encode([Message(SUCCESS, "Saved.")])
    assert "Saved." in client.get(url).content.decode()
    assert _queries(client, url, headers={"Cache-Control": "no-cache"}) > 2
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        assert _queries(client, url) > 2
        assert _queries(client, url) == 2


def _queries(client, url, **kwargs) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, **kwargs).status_code == 200
    return len(captured)


def test_losing_a_role_is_felt_at_once(client, settings):
    settings.SIGNED_IN_PAGE_SECONDS = 60
    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    sign_in(client, lead)
    url = reverse("applications:application-list")
    _visit_until_kept(client, url)
    assert client.get(url).status_code == 200

    user_set_roles(user=lead, roles=[], by=None, reason="Left the hub")

    assert client.get(url).status_code == 403


def test_an_authenticator_removed_is_felt_at_once(client, settings):
    settings.SIGNED_IN_PAGE_SECONDS = 60
    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    sign_in(client, lead)
    url = reverse("applications:application-list")
    _visit_until_kept(client, url)
    assert client.get(url).status_code == 200

    Authenticator.objects.filter(user=lead).delete()

    assert client.get(url).url == reverse("mfa_activate_totp")


# ---- Counting how often it helps (the benchmark's mixed workload reads these) ----


def test_with_stats_on_each_visit_counts_as_a_hit_a_miss_or_a_bypass(
    client, teacher_home, settings
):
    settings.PAGE_CACHE_STATS = True
    _, url = teacher_home
    page_cache_stats_reset()

    _visit_until_kept(client, url)  # drawn twice: the first sets the CSRF cookie
    client.get(url)  # served the copy
    client.get(url, headers={"Cache-Control": "no-cache"})  # a hard reload

    assert page_cache_stats() == {"hit": 1, "miss": 2, "bypass": 1}


def test_with_the_page_cache_off_every_visit_is_a_bypass(client, teacher_home, settings):
    settings.PAGE_CACHE_STATS = True
    settings.SIGNED_IN_PAGE_SECONDS = 0
    _, url = teacher_home
    page_cache_stats_reset()

    for _ in range(3):
        client.get(url)

    assert page_cache_stats() == {"hit": 0, "miss": 0, "bypass": 3}


def test_without_stats_nothing_is_counted(client, teacher_home):
    _, url = teacher_home
    page_cache_stats_reset()

    for _ in range(3):
        client.get(url)

    assert page_cache_stats() == {"hit": 0, "miss": 0, "bypass": 0}
