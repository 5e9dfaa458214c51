"""Staff read what any sent email said, from the email log, without the recipient's links."""

import factory
import pytest
from django.urls import reverse

from applications.models import Application
from applications.services import application_send_email
from applications.tests.factories import ApplicationFactory
from npq_portal.emails import PERSONAL_LINK_REMOVED, email_redact
from npq_portal.models import EmailDelivery
from npq_portal.paging import CappedPaginator
from npq_portal.roles import Role
from npq_portal.tests.factories import (
    EmailDeliveryFactory,
    StaffUserFactory,
    UserFactory,
    bulk,
    sign_in,
)

pytestmark = pytest.mark.django_db


def _approval_request_sent(mailoutbox) -> EmailDelivery:
    application = ApplicationFactory(status=Application.Status.AWAITING_SCHOOL)
    application_send_email(application=application, kind="school_approval_request", occasion="1")
    assert "/approve/" in mailoutbox[-1].body  # the head gets the link itself
    return EmailDelivery.objects.get(kind="school_approval_request")


def test_staff_read_a_sent_email_from_the_log_without_its_personal_link(client, mailoutbox):
    delivery = _approval_request_sent(mailoutbox)
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    listed = client.get(reverse("staff:email-list")).content.decode()
    page = client.get(reverse("staff:email-detail", args=[delivery.pk])).content.decode()

    assert reverse("staff:email-detail", args=[delivery.pk]) in listed
    assert "approve" in delivery.body.lower()
    assert "/approve/" not in delivery.body and PERSONAL_LINK_REMOVED in delivery.body
    assert "School approval request" in page
    assert delivery.body.splitlines()[0] in page


@pytest.mark.parametrize(
    "link",
    [
        "https://npq.example/approve/abc.def:ghi/",
        "https://npq.example/mailing-list/unsubscribe/eyJzIjoxfQ:1v/",
        "/reminders/stop/abc/",
        "https://npq.example/accounts/confirm-email/Mjk:1v2/",
        "https://npq.example/accounts/password/reset/key/3-abc/",
        "https://npq.example/calendar/8f1e2d.ics",
    ],
)
def test_every_link_that_acts_for_the_recipient_is_removed(link):
    assert email_redact(f"Use this: {link} today.") == f"Use this: {PERSONAL_LINK_REMOVED} today."


def test_links_anyone_may_follow_are_kept():
    text = "See https://npq.example/applications/12/ and https://npq.example/calendar/ now."

    assert email_redact(text) == text


def test_teachers_cannot_read_the_log(client, mailoutbox):
    delivery = _approval_request_sent(mailoutbox)
    sign_in(client, UserFactory())

    assert client.get(reverse("staff:email-detail", args=[delivery.pk])).status_code == 403


def test_the_log_counts_up_to_its_cap_and_says_more_in_words(client, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 30)
    bulk(EmailDeliveryFactory, 40)
    bulk(EmailDeliveryFactory, 5, recipient=factory.Sequence(lambda n: f"head{n}@oakfield.example"))
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    url = reverse("staff:email-list")

    everything = client.get(url)
    oakfield = client.get(url, {"recipient": "oakfield"})
    older = client.get(url, {"page": 2})

    assert "More than 30 emails" in everything.content.decode()
    assert "Page 1 of" not in everything.content.decode()
    assert "5 emails" in oakfield.content.decode()
    newest_first = list(EmailDelivery.objects.order_by("-created_at", "-pk"))
    shown = list(everything.context["object_list"]) + list(older.context["object_list"])
    assert shown == newest_first


def test_the_logs_kind_filter_offers_each_kind_logged_once_in_order(client):
    for kind in ["welcome", "session_reminder", "approval_chase", "welcome", "session_reminder"]:
        EmailDeliveryFactory(kind=kind)
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    response = client.get(reverse("staff:email-list"))

    assert EmailDelivery.objects.kinds() == ["approval_chase", "session_reminder", "welcome"]
    assert list(response.context["kinds"]) == ["approval_chase", "session_reminder", "welcome"]
