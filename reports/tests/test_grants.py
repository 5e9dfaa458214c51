"""Work Group grants: owed when a school's team is accepted, then claimed and paid, or
cancelled with a reason; the list with its filters and totals, and its exports."""

import datetime

import pytest
import time_machine
from django.contrib.auth.context_processors import PermWrapper
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.template import engines
from django.urls import reverse
from django.utils import timezone

from applications.services import application_accept
from applications.tests.factories import bulk_applications, team_sign_up
from cohorts.tests.factories import CohortFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from npq_portal.tests.querycount import assert_queries_do_not_grow, session_reads
from participants.models import GrantClaim, SchoolPlace
from participants.services import (
    grant_claim_cancel,
    grant_claim_mark_claimed,
    grant_claim_mark_paid,
)
from programmes.models import ProgrammeGrant
from programmes.tests.factories import work_group_programme
from reports.grants import grant_claims
from schools.models import School
from schools.tests.factories import SchoolFactory

from .factories import column, rows_of

pytestmark = pytest.mark.django_db


def _owed(cohort, school_name: str = "Ash Primary") -> GrantClaim:
    """A school's team accepted into a Work Group with a grant: the grant is owed."""
    application = team_sign_up(cohort=cohort, school=SchoolFactory(name=school_name))
    place = application_accept(application=application, by=UserFactory())
    return place.grant_claim


@pytest.fixture
def development():
    programme = work_group_programme(
        "Lead teacher", "Second lead teacher", name="TfM Development", short_name="TfM", slug="tfm"
    )
    ProgrammeGrant.objects.create(
        programme=programme, academic_year=2025, amount=1000, purpose="Towards cover"
    )
    ProgrammeGrant.objects.create(
        programme=programme, academic_year=2026, amount=1200, purpose="Towards cover"
    )
    return programme


# ---- The services ----


def test_a_claim_is_received_then_paid_with_the_dates_and_who_in_its_note(development):
    claim = _owed(CohortFactory(programme=development, academic_year=2025))
    staff = StaffUserFactory(first_name="Priya", last_name="Shah")

    with time_machine.travel(datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC), tick=False):
        grant_claim_mark_claimed(claim=claim, by=staff)
    with time_machine.travel(datetime.datetime(2026, 3, 20, 12, tzinfo=datetime.UTC), tick=False):
        grant_claim_mark_paid(claim=claim, by=staff)

    claim.refresh_from_db()
    assert (claim.amount, claim.status) == (1000, "paid")
    assert (claim.claimed_on, claim.paid_on) == (
        datetime.date(2026, 3, 2),
        datetime.date(2026, 3, 20),
    )
    assert claim.note.splitlines() == [
        "2 Mar 2026: Claim received (Priya Shah)",
        "20 Mar 2026: Paid (Priya Shah)",
    ]


def test_a_grant_not_yet_claimed_cannot_be_paid_and_nothing_changes(development):
    claim = _owed(CohortFactory(programme=development, academic_year=2025))

    with pytest.raises(ValidationError, match="Ash Primary's grant has not been claimed yet"):
        grant_claim_mark_paid(claim=claim, by=StaffUserFactory())

    claim.refresh_from_db()
    assert (claim.status, claim.paid_on, claim.note) == ("owed", None, "")


def test_cancelling_needs_a_reason_and_a_paid_grant_cannot_be_cancelled(development):
    cohort = CohortFactory(programme=development, academic_year=2025)
    owed, paid = _owed(cohort), _owed(cohort, "Birch Primary")
    staff = StaffUserFactory()
    grant_claim_mark_claimed(claim=paid, by=staff)
    grant_claim_mark_paid(claim=paid, by=staff)

    with pytest.raises(ValidationError, match="Say why the grant is cancelled"):
        grant_claim_cancel(claim=owed, by=staff, reason="  ")
    with pytest.raises(ValidationError, match="grant is paid, so it cannot be marked cancelled"):
        grant_claim_cancel(claim=paid, by=staff, reason="Withdrew")
    grant_claim_cancel(claim=owed, by=staff, reason="The school withdrew in May.")

    owed.refresh_from_db(), paid.refresh_from_db()
    assert (owed.status, paid.status) == ("cancelled", "paid")
    assert owed.note.endswith(": The school withdrew in May.")


# ---- The list, its actions and its exports ----


@pytest.fixture
def claims(development):
    """Hand counted: 2025/26 Ash owed, Birch claimed, Cedar paid, Damson cancelled (£1,000
    each); 2026/27 Elm owed (£1,200)."""
    this_year = CohortFactory(programme=development, academic_year=2025, capacity=10)
    next_year = CohortFactory(programme=development, academic_year=2026, capacity=10)
    staff = StaffUserFactory()
    made = {
        name: _owed(this_year, f"{name} Primary") for name in ("Ash", "Birch", "Cedar", "Damson")
    }
    made["Elm"] = _owed(next_year, "Elm Primary")
    grant_claim_mark_claimed(claim=made["Birch"], by=staff)
    grant_claim_mark_claimed(claim=made["Cedar"], by=staff)
    grant_claim_mark_paid(claim=made["Cedar"], by=staff)
    grant_claim_cancel(claim=made["Damson"], by=staff, reason="Withdrew")
    return made


def _manager(client):
    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))


def _totals(page) -> dict[str, tuple[int, int]]:
    return {total.label: (total.count, total.amount) for total in page.context["totals"]}


def test_the_list_filters_by_year_and_status_and_totals_what_it_shows(client, claims):
    _manager(client)
    url = reverse("reports:grant-claim-list")

    every = client.get(url)
    this_year = client.get(url, {"programme": "tfm", "year": "2025"})
    owed = client.get(url, {"status": "owed"})

    assert _totals(every) == {
        "Owed": (2, 2200),
        "Claim received": (1, 1000),
        "Paid": (1, 1000),
        "Cancelled": (1, 1000),
    }
    assert _totals(this_year)["Owed"] == (1, 1000)
    assert [c.school_place.school.name for c in this_year.context["object_list"]] == [
        "Ash Primary",
        "Birch Primary",
        "Cedar Primary",
        "Damson Primary",
    ]
    assert [c.school_place.school.name for c in owed.context["object_list"]] == [
        "Elm Primary",
        "Ash Primary",
    ]
    html = every.content.decode()
    assert "<td>Claim received" in html  # Birch's status, in words


def test_staff_mark_a_claim_received_from_the_list_and_are_told_a_refusal(client, claims):
    _manager(client)
    ash = claims["Ash"]
    back = reverse("reports:grant-claim-list") + "?status=owed"

    received = client.post(
        reverse("reports:grant-claim-update", args=[ash.pk]), {"action": "claimed", "next": back}
    )
    refused = client.post(
        reverse("reports:grant-claim-update", args=[claims["Cedar"].pk]),
        {"action": "cancelled", "reason": "Late", "next": back},
        follow=True,
    )

    assert received.status_code == 302 and received.url == back
    ash.refresh_from_db()
    assert (ash.status, ash.claimed_on) == ("claimed", timezone.localdate())
    assert "Cedar Primary&#x27;s grant is paid, so it cannot be marked cancelled" in (
        refused.content.decode()
    )


def test_a_post_elsewhere_goes_back_to_the_list_not_off_the_site(client, claims):
    _manager(client)

    response = client.post(
        reverse("reports:grant-claim-update", args=[claims["Ash"].pk]),
        {"action": "claimed", "next": "https://evil.example/"},
    )

    assert response.url == reverse("reports:grant-claim-list")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_grants_export_holds_the_filtered_claims_with_status_in_words(
    client, claims, file_format
):
    _manager(client)

    response = client.get(
        reverse("reports:export-create", args=["grant-claims", file_format]),
        {"year": "2025", "programme": "tfm"},
    )

    rows = rows_of(response, file_format)
    assert column(rows, "School") == [
        "Ash Primary",
        "Birch Primary",
        "Cedar Primary",
        "Damson Primary",
    ]
    assert column(rows, "Status") == ["Owed", "Claim received", "Paid", "Cancelled"]
    assert [int(amount) for amount in column(rows, "Amount (£)")] == [1000] * 4


def test_a_facilitator_may_not_see_or_change_grants(client, claims):
    sign_in(client, StaffUserFactory(roles=[Role.FACILITATOR]))

    listing = client.get(reverse("reports:grant-claim-list"))
    change = client.post(
        reverse("reports:grant-claim-update", args=[claims["Ash"].pk]), {"action": "claimed"}
    )

    assert (listing.status_code, change.status_code) == (403, 403)
    claims["Ash"].refresh_from_db()
    assert claims["Ash"].status == "owed"


def test_the_grants_lists_query_count_does_not_grow_with_the_claims(
    client, django_assert_max_num_queries
):
    _manager(client)
    cohort = CohortFactory(programme=work_group_programme(), academic_year=2025)

    def add_rows(count):
        for application in bulk_applications(count, cohort=cohort, team=True):
            place = SchoolPlace.objects.create(
                cohort=cohort, school_id=application.school_id, application=application
            )
            GrantClaim.objects.create(school_place=place, amount=1000, purpose="Towards cover")

    small, large = assert_queries_do_not_grow(
        client, reverse("reports:grant-claim-list"), add_rows, sizes=(3, 30)
    )
    filtered = reverse("reports:grant-claim-list") + "?year=2025"
    client.get(filtered)  # its fixed queries prepared on first use (PostgreSQL), not counted
    with django_assert_max_num_queries(large):
        client.get(filtered)


# The rows as grant_claim_list.html drew them before they were drawn in Python
# (reports/templatetags/engagement_rows.py): the tag must draw the same HTML.
TEMPLATE_ROWS = """{% load money %}<tbody>{% for claim in object_list %}{% with place=claim.school_place %}
    <tr>
      <th scope="row" class="fw-normal">{{ place.school.name }}<div class="small text-body-secondary">{{ claim.purpose }}</div></th>
      <td>{{ place.school.urn }}</td>
      <td>{{ place.cohort.programme.short_name }} {{ place.cohort.academic_year_label }}, {{ place.cohort.name }}</td>
      <td class="text-end">{{ claim.amount|pounds }}</td>
      <td>{{ claim.get_status_display }}{% if claim.note %}<div class="small text-body-secondary">{{ claim.note|linebreaksbr }}</div>{% endif %}</td>
      <td>{{ claim.claimed_on|date:"j M Y"|default:"–" }}</td>
      <td>{{ claim.paid_on|date:"j M Y"|default:"–" }}</td>
      <td>{% if perms.participants.change_grantclaim and claim.status == "owed" or perms.participants.change_grantclaim and claim.status == "claimed" %}
        <form method="post" action="{% url 'reports:grant-claim-update' claim.pk %}" class="mb-1">{% csrf_token %}<input type="hidden" name="next" value="{{ request.get_full_path }}">
          {% if claim.status == "owed" %}<button type="submit" name="action" value="claimed" class="btn btn-sm btn-primary">Mark claim received<span class="visually-hidden"> from {{ place.school.name }}</span></button>{% else %}<button type="submit" name="action" value="paid" class="btn btn-sm btn-primary">Mark paid<span class="visually-hidden"> to {{ place.school.name }}</span></button>{% endif %}
        </form>
        <details><summary class="small">Cancel</summary>
          <form method="post" action="{% url 'reports:grant-claim-update' claim.pk %}" class="mt-1">{% csrf_token %}<input type="hidden" name="next" value="{{ request.get_full_path }}"><input type="hidden" name="action" value="cancelled">
            <label for="cancel-{{ claim.pk }}" class="form-label small mb-0">Why</label>
            <input id="cancel-{{ claim.pk }}" name="reason" class="form-control form-control-sm mb-1" required maxlength="1000">
            <button type="submit" class="btn btn-sm btn-outline-danger">Cancel the grant<span class="visually-hidden"> to {{ place.school.name }}</span></button>
          </form>
        </details>
      {% else %}–{% endif %}</td>
    </tr>
  {% endwith %}{% endfor %}</tbody>"""  # noqa: E501


@pytest.mark.parametrize("may_change", [True, False])
def test_the_grant_rows_drawn_in_python_are_the_templates_rows(rf, claims, may_change):
    School.objects.filter(name="Ash Primary").update(name="Ash & <Oak>")
    GrantClaim.objects.filter(pk=claims["Birch"].pk).update(note="Line one\nLine <two> & more")
    if may_change:
        user = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    else:  # may see the grants, not move them on
        user = UserFactory()
        user.user_permissions.add(Permission.objects.get(codename="view_grantclaim"))
    request = rf.get(reverse("reports:grant-claim-list"), {"status": "", "year": "2025"})
    request.user = user
    context = {
        "object_list": grant_claims(filters={}),
        "perms": PermWrapper(user),
        "csrf_token": "a-token",
    }
    engine = engines["django"]

    drawn = engine.from_string(
        "{% load engagement_rows %}<tbody>{% grant_rows object_list %}</tbody>"
    ).render(context, request)
    templated = engine.from_string(TEMPLATE_ROWS).render(context, request)

    assert drawn == templated
    assert drawn.count("<tr>") == 5
    assert "Line one<br>Line &lt;two&gt; &amp; more" in drawn
    assert ('name="action" value="paid"' in drawn) is may_change
    assert 'value="a-token"' in drawn if may_change else "csrfmiddlewaretoken" not in drawn


def test_the_grants_pages_are_counted_from_the_totals_not_asked_again(
    client, development, django_assert_num_queries
):
    _manager(client)
    cohort = CohortFactory(programme=development, academic_year=2025, capacity=40)
    for application in bulk_applications(30, cohort=cohort, team=True):
        place = SchoolPlace.objects.create(
            cohort=cohort, school_id=application.school_id, application=application
        )
        GrantClaim.objects.create(school_place=place, amount=1000, purpose="Towards cover")
    url = reverse("reports:grant-claim-list")

    # The session (unless the cache has it), the person with their access; the totals, the
    # page's claims, the programmes and the school years: no count of its own. (Asked once
    # first: on PostgreSQL a fixed query is prepared on its first use.)
    client.get(url, {"page": 2})
    with django_assert_num_queries(5 + session_reads()):
        second = client.get(url, {"page": 2})
    beyond = client.get(url, {"page": 3})

    html = second.content.decode()
    assert "30 grants, newest school year first" in html
    assert html.count('name="action" value="cancelled"') == 5
    assert "Page 2 of 2" in html
    assert beyond.status_code == 404


def test_the_list_read_by_fixed_queries_is_what_its_queryset_gives_for_any_filters(claims):
    """Each set of filters (one fixed query each): its pages are its queryset's slices, its
    totals what the queryset counts; a filter with a value it does not know is left out."""
    from itertools import combinations

    from django.db.models import Count, Sum

    from reports.grants import GrantClaimList

    given = {"programme": "tfm", "year": "2025", "status": "owed"}
    shapes = [dict(c) for n in range(4) for c in combinations(given.items(), n)]
    shapes += [{"programme": "nope"}, {"year": "20x5", "status": "lost"}]
    for filters in shapes:
        expected = list(grant_claims(filters=filters))
        listed = GrantClaimList(filters)
        for start, stop in ((0, 2), (2, 4), (4, 6), (0, 25)):
            assert listed[start:stop] == expected[start:stop], filters
        counted = {
            row["status"]: (row["n"], row["pounds"])
            for row in grant_claims(filters=filters)
            .order_by()
            .values("status")
            .annotate(n=Count("pk"), pounds=Sum("amount"))
        }
        assert {t.status: (t.count, t.amount) for t in listed.totals if t.count} == counted
        assert listed.count() == len(expected)
    assert GrantClaimList({"status": "owed"}).count() == 2
