import pytest

from npq_portal.emails import EmailNotSent, email_about_key, email_send_once
from npq_portal.models import EmailDelivery

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_email_has_text_and_html_parts_from_its_templates(mailoutbox):
    user = UserFactory(first_name="Priya")

    delivery = email_send_once(
        to=user.email, kind="welcome", about=user, context={"user": user, "home_url": "/x"}
    )

    (message,) = mailoutbox
    assert message.subject == "Welcome to the NPQ Portal"
    assert "Hello Priya" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Hello Priya" in html
    assert delivery.status == EmailDelivery.Status.SENT
    assert delivery.about == f"npq_portal.user:{user.pk}"
    assert delivery.sent_at is not None


def test_the_same_occasion_is_sent_once_however_often_it_is_asked(mailoutbox):
    user = UserFactory()
    context = {"user": user, "home_url": "/"}

    first = email_send_once(
        to=user.email, kind="welcome", about=user, occasion="x", context=context
    )
    second = email_send_once(
        to=user.email.upper(), kind="welcome", about=user, occasion="x", context=context
    )

    assert len(mailoutbox) == 1
    assert first.pk == second.pk
    assert second.attempts == 1


def test_another_occasion_is_another_email(mailoutbox):
    user = UserFactory()
    context = {"user": user, "home_url": "/"}

    email_send_once(to=user.email, kind="welcome", about=user, occasion="chase-1", context=context)
    email_send_once(to=user.email, kind="welcome", about=user, occasion="chase-2", context=context)

    assert len(mailoutbox) == 2
    assert EmailDelivery.objects.count() == 2


def test_a_failed_send_is_logged_with_its_error_and_a_retry_sends_it(
    mailoutbox, mail_server_down, monkeypatch
):
    user = UserFactory()
    context = {"user": user, "home_url": "/"}

    with pytest.raises(EmailNotSent, match="Connection unexpectedly closed"):
        email_send_once(to=user.email, kind="welcome", about=user, context=context)

    delivery = EmailDelivery.objects.get()
    assert delivery.status == EmailDelivery.Status.FAILED
    assert delivery.attempts == 1
    assert "SMTPServerDisconnected" in delivery.last_error

    monkeypatch.undo()  # the mail server is back
    email_send_once(to=user.email, kind="welcome", about=user, context=context)

    delivery.refresh_from_db()
    assert delivery.status == EmailDelivery.Status.SENT
    assert delivery.attempts == 2
    assert delivery.last_error == ""
    assert len(mailoutbox) == 1


def test_about_key_is_blank_for_account_email():
    assert email_about_key(None) == ""


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_the_email_once(mailoutbox):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("Row locks are only meaningful on PostgreSQL.")
    import threading

    from django.db import connections

    user = UserFactory()
    context = {"user": user, "home_url": "/"}
    start = threading.Barrier(2)
    errors = []

    def send():
        try:
            start.wait()
            email_send_once(to=user.email, kind="welcome", about=user, context=context)
        except Exception as error:  # noqa: BLE001  reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(mailoutbox) == 1
    assert EmailDelivery.objects.get().attempts == 1


def test_plain_text_parts_and_subjects_are_not_html_escaped(mailoutbox):
    user = UserFactory(first_name="D'Arcy & Jo")

    email_send_once(
        to=user.email,
        kind="welcome",
        about=user,
        context={"user": user, "home_url": "https://npq.example/?a=1&b=2"},
    )

    (message,) = mailoutbox
    assert "Hello D'Arcy & Jo," in message.body
    assert "https://npq.example/?a=1&b=2" in message.body
    html, _ = message.alternatives[0]
    assert "D&#x27;Arcy &amp; Jo" in html  # the HTML part stays escaped
