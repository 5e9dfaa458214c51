"""Property-based tests of the public forms, posted through the pages: whatever text is sent
(unicode, control characters, very long strings, odd email addresses), the page answers
without a server error, shows what is wrong, and saves nothing when the input is invalid."""

from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from applications.links import approval_token
from applications.models import Application, ApplicationEvent
from applications.steps import STEPS
from applications.tests.factories import ApplicationFactory
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from mailing_list.links import subscriber_token
from mailing_list.models import Subscriber
from npq_portal.tests.factories import UserFactory, sign_in
from programmes.tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

# Counts for `make test` (the "ci" profile's 100), scaled by the Hypothesis profile conftest.py
# loads: far more in `make fuzz`. These settings take derandomize and the database from it too.
SCALE = settings.default.max_examples / 100
PAGES = settings(
    max_examples=int(30 * SCALE),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


class _RolledBack(Exception):
    pass


def rolled_back(body):
    """Run body() in a transaction that is then undone, so each example starts clean.

    The rate-limit counts start afresh too: each example is one visitor's request, and these
    properties are about what a form does with its input, not about the limits (test_ratelimit).
    """
    cache.clear()
    try:
        with transaction.atomic():
            body()
            raise _RolledBack
    except _RolledBack:
        pass


ODD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202eevil",
    "\ud7ff",
    "x" * 5000,
    "Zoë O’Brien-Smith",
    '=HYPERLINK("http://evil.example")',
    "<script>alert(1)</script>",
    "priya@oakfield.example",
    "PRIYA@OAKFIELD.EXAMPLE",
    "a@b",
    "a@" + "b" * 300 + ".example",
    "@oakfield.example",
    "priya@@oakfield.example",
    '"priya shah"@oakfield.example',
    "priya@oakfield.example\nBcc: everyone@example.com",
    "пример@пример.рф",
    "priya@xn--oakfeld-example",
]
texts = st.one_of(st.sampled_from(ODD), st.text(max_size=60))


def _answered(response):
    """The page answered a person: a page, a redirect or not-found, never a server error."""
    assert response.status_code in (200, 302, 404), response.status_code
    return response


def _shows_errors(response) -> None:
    page = response.content.decode()
    assert "invalid-feedback" in page or "alert-danger" in page or "errorlist" in page


# ---- The mailing list ----


@pytest.fixture
def programme():
    return ProgrammeFactory(name="NPQ in Leading Primary Mathematics")


@PAGES
@given(
    first=texts,
    last=texts,
    email=texts,
    school=texts,
    programmes=st.lists(st.one_of(st.just("own"), texts), max_size=3),
    consent=st.sampled_from(["on", "", "no", "\x00"]),
)
@example(
    first="a\x00b",
    last="Shah",
    email="priya@oakfield.example",
    school="",
    programmes=["own"],
    consent="on",
)
# make fuzz: an id past 64 bits was a server error on SQLite (OverflowError in the query).
@example(first="", last="", email="", school="", programmes=["9223372036854775808"], consent="on")
def test_the_mailing_list_sign_up_saves_a_subscriber_or_shows_what_is_wrong(
    client, programme, first, last, email, school, programmes, consent
):
    data = {
        "first_name": first,
        "last_name": last,
        "email": email,
        "school": school,
        "programmes": [str(programme.pk) if value == "own" else value for value in programmes],
        "consent": consent,
    }

    def body():
        before = Subscriber.objects.count()

        response = _answered(client.post(reverse("mailing_list:subscribe"), data))

        if response.status_code == 200:
            _shows_errors(response)
            assert Subscriber.objects.count() == before

    rolled_back(body)


@PAGES
@given(token=texts, interests=st.lists(texts, max_size=3), action=st.sampled_from(["", "1"]))
@example(token="", interests=["-9223372036854775809"], action="")  # as on the sign-up page
def test_the_manage_page_never_fails_whatever_the_link_or_the_answer(
    client, programme, token, interests, action
):
    if Subscriber.objects.exists():  # made by an earlier example: kept for the test
        Subscriber.objects.all().delete()
    subscriber = Subscriber.objects.create(
        email="priya@oakfield.example",
        first_name="Priya",
        last_name="Shah",
        consented_at=timezone.now(),
    )
    good = subscriber_token(subscriber, "manage")

    def body():
        for link in (token, good):
            if "/" in link or not link:
                continue  # not this page's address
            url = reverse("mailing_list:subscriber-manage", args=[link])
            _answered(client.get(url))
            # "" presses Save (no "resubscribe" is sent); "1", Join the list again.
            data = {"programmes": interests, **({"resubscribe": action} if action else {})}
            _answered(client.post(url, data))

    rolled_back(body)


# ---- The school-approval link ----


@pytest.fixture
def awaiting():
    return ApplicationFactory(
        status=Application.Status.AWAITING_SCHOOL, approver_email="head@oakfield.example"
    )


@PAGES
@given(
    token=texts,
    decision=st.one_of(st.sampled_from(["approve", "decline"]), texts),
    name=texts,
    comment=texts,
    email=texts,
    delegate=st.booleans(),
)
def test_the_approval_page_decides_or_shows_what_is_wrong(
    client, awaiting, token, decision, name, comment, email, delegate
):
    application = awaiting
    good = approval_token(application)
    data = (
        {"delegate": "1", "delegate-email": email, "delegate-name": name}
        if delegate
        else {"decision": decision, "name": name, "comment": comment}
    )

    def body():
        if token and "/" not in token:
            _answered(client.post(reverse("applications:school-approval", args=[token]), data))
        events = ApplicationEvent.objects.count()
        response = _answered(
            client.post(reverse("applications:school-approval", args=[good]), data)
        )
        done = "applications/school_approval_done.html" in [t.name for t in response.templates]
        if not done:
            _shows_errors(response)
            application.refresh_from_db()
            assert application.status == Application.Status.AWAITING_SCHOOL
            assert ApplicationEvent.objects.count() == events

    rolled_back(body)


# ---- The teacher's application ----


@pytest.fixture
def applying(client):
    teacher = UserFactory()
    sign_in(client, teacher)
    programme = ProgrammeFactory(
        slug="npq-leading-primary-mathematics",
        course_identifier="npq-leading-primary-mathematics",
    )
    return teacher, CohortFactory(programme=programme, status=Cohort.Status.OPEN)


@PAGES
@given(
    key=st.one_of(st.sampled_from([step.key for step in STEPS]), texts),
    fields=st.dictionaries(
        st.sampled_from(
            [
                "works_in_england",
                "work_setting",
                "school",
                "kind_of_nursery",
                "employment_type",
                "referred",
                "role",
                "trn",
                "mastery",
                "approver_name",
                "approver_email",
                "payment",
            ]
        ),
        texts,
        max_size=4,
    ),
)
def test_an_application_step_keeps_a_valid_answer_or_shows_what_is_wrong(
    client, applying, key, fields
):
    teacher, cohort = applying

    def body():
        _answered(client.post(reverse("applications:apply", args=[cohort.pk])))
        application = Application.objects.get(applicant=teacher)
        before = dict(application.answers)
        # Any address, not only those the URL pattern makes: a 404 is an answer too.
        url = f"/applications/{application.pk}/question/{quote(key, safe='')}/"

        response = _answered(client.post(url, fields))

        application.refresh_from_db()
        if response.status_code != 302:
            assert application.answers == before
        if response.status_code == 200:
            _shows_errors(response)

    rolled_back(body)


# ---- Signing up for an account ----


@PAGES
@given(email=texts, password=texts, first=texts, last=texts)
def test_signing_up_makes_an_account_or_shows_what_is_wrong(client, email, password, first, last):
    data = {
        "email": email,
        "password1": password,
        "password2": password,
        "first_name": first,
        "last_name": last,
    }

    def body():
        cache.clear()  # allauth's rate limit would answer most examples with a 429
        before = get_user_model().objects.count()

        response = _answered(client.post(reverse("account_signup"), data))

        if response.status_code == 200:
            _shows_errors(response)
            assert get_user_model().objects.count() == before

    rolled_back(body)
