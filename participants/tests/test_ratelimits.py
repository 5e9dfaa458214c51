import pytest
from django.test import Client
from django.urls import reverse

from applications.links import approval_token
from applications.models import Application
from applications.tests.factories import ApplicationFactory
from mailing_list.links import subscriber_token
from mailing_list.models import Subscriber
from mailing_list.services import subscriber_sign_up
from programmes.tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

GUESSER = "203.0.113.9"


def _sign_up(client, programme, email="priya.shah@oakfield.example", **extra):
    return client.post(
        reverse("mailing_list:subscribe"),
        {
            "first_name": "Priya",
            "last_name": "Shah",
            "email": email,
            "programmes": [programme.pk],
            "consent": "on",
            **extra,
        },
    )


def _assert_paused(response):
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_signing_one_email_address_up_again_and_again_is_paused(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    programme = ProgrammeFactory()
    for _ in range(3):  # "subscribe": 3/h per email address
        with django_capture_on_commit_callbacks(execute=True):
            assert _sign_up(client, programme).status_code == 302

    response = _sign_up(
        Client(REMOTE_ADDR="198.51.100.1"), programme, email="Priya.Shah@Oakfield.example"
    )

    _assert_paused(response)
    assert len(mailoutbox) == 3
    # The hour-long limit on this address was met: "wait five minutes" would send them back
    # to the same refusal.
    assert "Wait 60 minutes" in response.content.decode()
    assert 3500 < int(response.headers["Retry-After"]) <= 3600


def test_many_sign_ups_from_one_address_are_paused(client, mailoutbox):
    programme = ProgrammeFactory()
    for n in range(10):  # "subscribe": 10/m per address
        assert _sign_up(client, programme, email=f"teacher{n}@oakfield.example").status_code == 302

    response = _sign_up(client, programme, email="teacher10@oakfield.example")

    _assert_paused(response)
    assert not Subscriber.objects.filter(email="teacher10@oakfield.example").exists()
    assert "Wait one minute" in response.content.decode()
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_a_visitor_who_corrects_a_mistake_still_signs_up(client):
    programme = ProgrammeFactory()
    assert _sign_up(client, programme, email="not-an-address").status_code == 200

    response = _sign_up(client, programme)

    assert response.status_code == 302
    assert Subscriber.objects.filter(email="priya.shah@oakfield.example").exists()


def test_a_client_guessing_approval_links_is_paused_even_for_a_real_link():
    application = ApplicationFactory()
    guesser = Client(REMOTE_ADDR=GUESSER)
    for n in range(10):  # "bad_link": 10/h per address
        response = guesser.get(reverse("applications:school-approval", args=[f"guess-{n}"]))
        assert response.status_code == 404

    real = reverse("applications:school-approval", args=[approval_token(application)])
    response = guesser.get(real)
    _assert_paused(response)
    assert "Wait 60 minutes" in response.content.decode()  # "bad_link" counts for an hour
    _assert_paused(guesser.post(real, {"decision": "approve", "name": "Guess Who"}))
    application.refresh_from_db()
    assert application.status == Application.Status.AWAITING_SCHOOL
    assert Client().get(real).status_code == 200  # the head, elsewhere, is not held up


def test_guessing_mailing_list_links_counts_towards_the_same_pause(client):
    subscriber = subscriber_sign_up(
        email="priya.shah@oakfield.example",
        first_name="Priya",
        last_name="Shah",
        school=None,
        programmes=[ProgrammeFactory()],
    )
    guesser = Client(REMOTE_ADDR=GUESSER)
    for n in range(5):
        guesser.get(reverse("mailing_list:subscriber-confirm", args=[f"guess-{n}"]))
        guesser.post(reverse("mailing_list:subscriber-unsubscribe", args=[f"guess-{n}"]))

    response = guesser.get(
        reverse("mailing_list:subscriber-manage", args=[subscriber_token(subscriber, "manage")])
    )

    _assert_paused(response)


def test_one_approval_link_asked_for_too_often_is_paused_whatever_the_address():
    application = ApplicationFactory()
    url = reverse("applications:school-approval", args=[approval_token(application)])
    for n in range(60):  # "school_approval": 60/h per link, from many addresses
        assert Client(REMOTE_ADDR=f"10.0.{n // 200}.{n % 200}").get(url).status_code == 200

    _assert_paused(Client(REMOTE_ADDR="10.9.9.9").get(url))


def test_a_head_reading_the_link_then_deciding_is_not_held_up(
    client, django_capture_on_commit_callbacks
):
    application = ApplicationFactory()
    url = reverse("applications:school-approval", args=[approval_token(application)])
    for _ in range(5):
        assert client.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"decision": "approve", "name": "Helen Whitfield"})

    assert response.status_code == 200
    application.refresh_from_db()
    assert application.status == Application.Status.SCHOOL_APPROVED


def test_the_approval_link_still_works_while_redis_is_down(client, settings, monkeypatch):
    from npq_portal.cache import TolerantRedisCache

    monkeypatch.setattr(TolerantRedisCache, "_down_until", 0.0)
    settings.CACHES = {
        "default": {
            "BACKEND": "npq_portal.cache.TolerantRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    application = ApplicationFactory()

    response = client.get(
        reverse("applications:school-approval", args=[approval_token(application)])
    )

    assert response.status_code == 200  # limits lapse in an outage; the page does not fail
