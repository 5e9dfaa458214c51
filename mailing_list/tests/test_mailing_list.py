import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Cohort
from cohorts.services import cohort_move
from cohorts.tests.factories import CohortFactory
from mailing_list.links import subscriber_token
from mailing_list.models import Subscriber
from mailing_list.services import (
    CONSENT_TEXT,
    cohort_announce,
    subscriber_confirm,
    subscriber_sign_up,
    subscribers_expire_unconfirmed,
)
from mailing_list.tasks import cohort_announce_task
from npq_portal.models import EmailDelivery
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from programmes.tests.factories import ProgrammeFactory
from schools.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db


def _link(message, path: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}[^\s]+)", message.body)
    assert match, message.body
    return match.group(1)


def _sign_up(client, programme, **extra):
    return client.post(
        reverse("mailing_list:subscribe"),
        {
            "first_name": "Priya",
            "last_name": "Shah",
            "email": "Priya.Shah@Oakfield.example",
            "programmes": [programme.pk],
            "consent": "on",
            **extra,
        },
    )


def test_signing_up_and_confirming_from_the_emailed_link(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    programme = ProgrammeFactory(name="NPQ in Leading Primary Mathematics")
    school = SchoolFactory(name="Oakfield Primary School", urn=123456)

    with django_capture_on_commit_callbacks(execute=True):
        response = _sign_up(
            client, programme, school="Oakfield Primary School, Chester (URN 123456)"
        )

    assert response.url == reverse("mailing_list:subscriber-check-email")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "priya.shah@oakfield.example"
    assert subscriber.school == school
    assert subscriber.consent_text == CONSENT_TEXT
    assert subscriber.confirmed_at is None
    (message,) = mailoutbox
    assert "NPQ in Leading Primary Mathematics" in message.body
    confirm = _link(message, "/mailing-list/confirm/")

    assert client.get(confirm).status_code == 200  # a page with a button: scanners do not confirm
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None
    response = client.post(confirm)

    subscriber.refresh_from_db()
    assert subscriber.is_subscribed
    assert response.url.startswith("/mailing-list/manage/")


def test_the_form_says_what_is_missing_and_keeps_nothing(client):
    ProgrammeFactory()

    response = client.post(reverse("mailing_list:subscribe"), {"email": "not-an-address"})

    page = response.content.decode()
    assert "Choose at least one programme." in page
    assert "Tick the box to agree" in page
    assert "Enter a valid email address." in page
    assert not Subscriber.objects.exists()


def test_a_school_typed_but_not_chosen_is_explained(client):
    response = _sign_up(client, ProgrammeFactory(), school="Some school I made up")

    assert "Choose your school from the list" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_a_confirmed_subscriber_is_not_changed_by_someone_else_signing_up(
    mailoutbox, django_capture_on_commit_callbacks
):
    mine, other = ProgrammeFactory(), ProgrammeFactory()
    subscriber = subscriber_sign_up(
        email="jo@school.example", first_name="Jo", last_name="Bloggs", programmes=[mine]
    )
    subscriber_confirm(subscriber=subscriber)

    with django_capture_on_commit_callbacks(execute=True):
        subscriber_sign_up(
            email="JO@school.example", first_name="Mallory", last_name="X", programmes=[other]
        )

    subscriber.refresh_from_db()
    assert (subscriber.first_name, list(subscriber.programmes.all())) == ("Jo", [mine])
    assert mailoutbox[-1].subject == "You are already on the NPQ mailing list"


def test_signing_up_again_before_confirming_sends_a_fresh_link(
    mailoutbox, django_capture_on_commit_callbacks
):
    programme = ProgrammeFactory()
    with django_capture_on_commit_callbacks(execute=True):
        subscriber_sign_up(
            email="a@b.example", first_name="A", last_name="B", programmes=[programme]
        )
        subscriber_sign_up(
            email="a@b.example", first_name="A", last_name="B", programmes=[programme]
        )

    assert len(mailoutbox) == 2
    assert Subscriber.objects.count() == 1


def test_an_old_confirmation_link_has_expired(client, settings):
    subscriber = subscriber_sign_up(
        email="late@b.example", first_name="L", last_name="B", programmes=[ProgrammeFactory()]
    )
    token = subscriber_token(subscriber, "confirm")

    from unittest import mock

    later = timezone.now() + datetime.timedelta(days=8)
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        response = client.post(reverse("mailing_list:subscriber-confirm", args=[token]))

    assert response.status_code == 404
    assert "Confirmation links work for 7 days" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None


def test_unconfirmed_sign_ups_are_forgotten_after_a_week():
    stale = subscriber_sign_up(
        email="old@b.example", first_name="O", last_name="B", programmes=[ProgrammeFactory()]
    )
    Subscriber.objects.filter(pk=stale.pk).update(
        consented_at=timezone.now() - datetime.timedelta(days=8)
    )
    fresh = subscriber_sign_up(
        email="new@b.example", first_name="N", last_name="B", programmes=[ProgrammeFactory()]
    )

    assert subscribers_expire_unconfirmed() == 1 + 1  # the subscriber and its interest row
    assert list(Subscriber.objects.all()) == [fresh]


def test_one_click_unsubscribes_and_the_page_offers_a_way_back(client):
    subscriber = subscriber_confirm(
        subscriber=subscriber_sign_up(
            email="u@b.example", first_name="U", last_name="B", programmes=[ProgrammeFactory()]
        )
    )
    token = subscriber_token(subscriber, "manage")
    url = reverse("mailing_list:subscriber-unsubscribe", args=[token])

    client.get(url)  # a link scanner, or the person reading the page first
    subscriber.refresh_from_db()
    assert subscriber.is_subscribed
    response = client.post(url, {"List-Unsubscribe": "One-Click"})  # RFC 8058, no CSRF token
    subscriber.refresh_from_db()
    assert response.status_code == 200
    assert not subscriber.is_subscribed

    client.post(reverse("mailing_list:subscriber-manage", args=[token]), {"resubscribe": "1"})
    subscriber.refresh_from_db()
    assert subscriber.is_subscribed


def test_a_subscriber_changes_their_interests_from_the_link(client):
    first, second = ProgrammeFactory(), ProgrammeFactory()
    subscriber = subscriber_confirm(
        subscriber=subscriber_sign_up(
            email="c@b.example", first_name="C", last_name="B", programmes=[first]
        )
    )

    client.post(
        reverse("mailing_list:subscriber-manage", args=[subscriber_token(subscriber, "manage")]),
        {"programmes": [second.pk]},
    )

    assert list(subscriber.programmes.all()) == [second]


def test_a_forged_link_changes_nothing(client):
    response = client.get(reverse("mailing_list:subscriber-unsubscribe", args=["forged:token"]))

    assert response.status_code == 404


def _subscriber(programme, email, *, confirmed=True, unsubscribed=False):
    subscriber = subscriber_sign_up(
        email=email, first_name="S", last_name="T", programmes=[programme]
    )
    if confirmed:
        subscriber = subscriber_confirm(subscriber=subscriber)
    if unsubscribed:
        Subscriber.objects.filter(pk=subscriber.pk).update(unsubscribed_at=timezone.now())
    return subscriber


def test_opening_a_cohort_emails_interested_confirmed_subscribers_once(
    mailoutbox, django_capture_on_commit_callbacks
):
    cohort = CohortFactory(application_deadline=None)
    _subscriber(cohort.programme, "yes@b.example")
    _subscriber(cohort.programme, "unconfirmed@b.example", confirmed=False)
    _subscriber(cohort.programme, "left@b.example", unsubscribed=True)
    _subscriber(ProgrammeFactory(), "other@b.example")

    with django_capture_on_commit_callbacks(execute=True):
        cohort_move(cohort=cohort, to=Cohort.Status.OPEN, by=None)
    cohort_announce_task.delay(cohort.pk)  # a retry, or a second worker
    cohort_announce(cohort=cohort)

    announcements = [m for m in mailoutbox if m.subject.startswith("Applications are open")]
    assert [m.to for m in announcements] == [["yes@b.example"]]
    assert "/mailing-list/unsubscribe/" in announcements[0].body
    assert EmailDelivery.objects.filter(kind="applications_open").count() == 1


def test_staff_see_counts_by_programme_with_download_links(client):
    programme = ProgrammeFactory(short_name="NPQLPM")
    _subscriber(programme, "one@b.example")
    _subscriber(programme, "two@b.example")
    _subscriber(programme, "pending@b.example", confirmed=False)
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    page = client.get(reverse("mailing_list:subscriber-report"))

    assert page.context["total"] == 2
    assert [p.subscriber_count for p in page.context["programmes"]] == [2]
    csv_url = reverse("reports:export-create", args=["subscribers", "csv"])
    assert f'href="{csv_url}?programme={programme.slug}"' in page.content.decode()


def test_the_old_export_link_goes_to_the_subscribers_export(client):
    """Bookmarks of ?export=csv keep working: the file itself is tested in reports/tests."""
    programme = ProgrammeFactory()
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    url = reverse("mailing_list:subscriber-report")

    one = client.get(url, {"export": "csv", "programme": programme.slug})
    everyone = client.get(url, {"export": "csv"})

    export_url = reverse("reports:export-create", args=["subscribers", "csv"])
    assert one.status_code == 302
    assert one.url == f"{export_url}?programme={programme.slug}"
    assert everyone.url == export_url


def test_teachers_cannot_see_the_mailing_list(client):
    sign_in(client, UserFactory())

    assert client.get(reverse("mailing_list:subscriber-report")).status_code == 403


def test_signing_up_again_after_unsubscribing_needs_a_fresh_confirmation(
    mailoutbox, django_capture_on_commit_callbacks
):
    programme = ProgrammeFactory()
    subscriber = _subscriber(programme, "back@b.example", unsubscribed=True)
    old_confirm = subscriber_token(subscriber, "confirm")

    with django_capture_on_commit_callbacks(execute=True):
        subscriber_sign_up(
            email="back@b.example", first_name="Someone", last_name="Else", programmes=[programme]
        )

    subscriber.refresh_from_db()
    assert not subscriber.is_subscribed
    assert mailoutbox[-1].subject == "Confirm you want news of NPQ programmes"
    from mailing_list.links import subscriber_from_token

    assert subscriber_from_token(old_confirm, "confirm") == subscriber


def test_an_old_confirmation_link_does_not_undo_an_unsubscribe(client):
    subscriber = _subscriber(ProgrammeFactory(), "gone@b.example", unsubscribed=True)
    token = subscriber_token(subscriber, "confirm")

    client.post(reverse("mailing_list:subscriber-confirm", args=[token]))

    subscriber.refresh_from_db()
    assert not subscriber.is_subscribed


def test_the_confirmation_email_is_capped_per_address_per_day(
    mailoutbox, django_capture_on_commit_callbacks
):
    programme = ProgrammeFactory()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(6):
            subscriber_sign_up(
                email="flood@b.example", first_name="F", last_name="B", programmes=[programme]
            )

    assert len(mailoutbox) == 3


def test_announcements_carry_one_click_unsubscribe_headers(mailoutbox):
    cohort = CohortFactory(application_deadline=None, status=Cohort.Status.OPEN)
    _subscriber(cohort.programme, "h@b.example")

    cohort_announce(cohort=cohort)

    (message,) = mailoutbox
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/mailing-list/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
