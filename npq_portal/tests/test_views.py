import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from npq_portal.models import OutboxTask, RoleChange
from npq_portal.paging import CappedPaginator
from npq_portal.roles import ROLE_SPECS, Role, user_roles

from .factories import EmailDeliveryFactory, StaffUserFactory, UserFactory, sign_in

pytestmark = pytest.mark.django_db

ROLE_START_PAGES = [
    (Role.HUB_ADMINISTRATOR, "reports:dashboard"),
    (Role.PROGRAMME_LEAD, "reports:dashboard"),
    (Role.FACILITATOR, "cohorts:cohort-list"),
    (Role.ASSESSOR, "assessment:marking-list"),
    (Role.SCHOOL_LEADER, "participants:school-leader-home"),
    (Role.TEACHER, "participants:teacher-home"),
]


def _user_with(role: Role):
    if role == Role.TEACHER:
        return UserFactory()
    if role == Role.SCHOOL_LEADER:
        return UserFactory(roles=[role])
    return StaffUserFactory(roles=[role])


def test_visitors_see_the_public_home_page(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "Create an account" in response.content.decode()


@pytest.mark.parametrize(("role", "start_page"), ROLE_START_PAGES)
def test_each_role_lands_on_its_own_start_page(client, role, start_page):
    sign_in(client, _user_with(role))

    response = client.get(reverse("home"), follow=True)

    assert response.redirect_chain[-1][0] == reverse(start_page)
    assert response.status_code == 200


@pytest.mark.parametrize(("role", "start_page"), ROLE_START_PAGES)
def test_the_navigation_shows_the_roles_own_links(client, role, start_page):
    sign_in(client, _user_with(role))

    response = client.get(reverse(start_page))

    nav_urls = [link["url"] for link in response.context["nav_links"]]
    assert reverse(start_page) in nav_urls
    assert reverse("participants:teacher-home") in nav_urls
    if role in {Role.HUB_ADMINISTRATOR}:
        assert reverse("staff:person-list") in nav_urls
    else:
        assert reverse("staff:person-list") not in nav_urls


@pytest.mark.parametrize(
    "url_name",
    [
        "staff:home",
        "staff:person-list",
        "staff:email-list",
        "cohorts:cohort-list",
        "assessment:marking-list",
    ],
)
def test_teachers_get_403_on_staff_pages(client, url_name):
    sign_in(client, UserFactory())

    response = client.get(reverse(url_name))

    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


def test_another_roles_start_page_is_refused(client):
    sign_in(client, StaffUserFactory(roles=[Role.FACILITATOR]))

    assert client.get(reverse("assessment:marking-list")).status_code == 403
    assert client.get(reverse("participants:school-leader-home")).status_code == 403


@pytest.mark.parametrize(
    "url_name", ["participants:teacher-home", "staff:home", "staff:email-list"]
)
def test_visitors_are_sent_to_sign_in(client, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_staff_home_shows_people_and_email_figures(client):
    sign_in(client, StaffUserFactory())
    UserFactory.create_batch(3)
    EmailDeliveryFactory(status="failed", last_error="Connection refused")

    response = client.get(reverse("staff:home"))

    figures = response.context["figures"]
    assert figures.people == 4
    assert figures.emails_failed_7_days == 1


def test_staff_home_says_when_the_outbox_holds_work_up_and_when_it_gave_some_up(client):
    sign_in(client, StaffUserFactory())
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    OutboxTask.objects.create(task_name="t", created_at=an_hour_ago)
    OutboxTask.objects.create(
        task_name="t", created_at=an_hour_ago + datetime.timedelta(minutes=30)
    )
    OutboxTask.objects.create(task_name="t")  # just made: handed on in a moment, not held up
    OutboxTask.objects.create(task_name="t", status=OutboxTask.Status.DONE, created_at=an_hour_ago)
    OutboxTask.objects.create(task_name="t", status=OutboxTask.Status.ABANDONED)

    page = client.get(reverse("staff:home")).content.decode()

    local = timezone.localtime(an_hour_ago)
    assert (
        "2 emails or tasks have been waiting for the background worker since "
        f"{local:%-d %b, %H:%M}: Redis or the worker may be down." in page
    )
    assert "1 email or task failed every try in the last 7 days and was given up" in page


def test_staff_home_says_nothing_of_the_outbox_when_nothing_is_held_up(client):
    sign_in(client, StaffUserFactory())
    OutboxTask.objects.create(task_name="t")

    page = client.get(reverse("staff:home")).content.decode()

    assert "waiting for the background worker" not in page
    assert "given up" not in page


@pytest.mark.parametrize("rows", [10, 60])
def test_people_list_query_count_does_not_grow_with_rows(
    client, django_assert_max_num_queries, rows
):
    admin = StaffUserFactory()
    for person in UserFactory.create_batch(rows):
        person.groups.add(*admin.groups.all())
    sign_in(client, admin)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("staff:person-list"))

    assert len(response.context["object_list"]) == min(rows + 1, 25)


def test_people_list_searches_and_filters_by_role(client):
    admin = StaffUserFactory(first_name="Amira")
    UserFactory(first_name="Zainab", last_name="Malik")
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR], last_name="Okoro")
    sign_in(client, admin)

    by_name = client.get(reverse("staff:person-list"), {"q": "malik"}).context["object_list"]
    by_role = client.get(reverse("staff:person-list"), {"role": "facilitator"}).context[
        "object_list"
    ]

    assert [p.last_name for p in by_name] == ["Malik"]
    assert list(by_role) == [facilitator]


def test_people_list_counts_up_to_its_cap_and_says_more_in_words(client, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 20)
    for n in range(30):
        UserFactory(last_name=f"Jones {n:02}")
    sign_in(client, StaffUserFactory(first_name="Amira", last_name="Zed"))
    url = reverse("staff:person-list")

    first = client.get(url, {"q": "jo"})
    second = client.get(url, {"q": "jo", "page": 2})
    one = client.get(url, {"q": "jones 07"})

    assert "More than 20 people" in first.content.decode()
    shown = list(first.context["object_list"]) + list(second.context["object_list"])
    assert [person.last_name for person in shown] == [f"Jones {n:02}" for n in range(30)]
    assert "1 person" in one.content.decode()


def test_an_administrator_changes_someones_roles_with_a_reason(client):
    admin = StaffUserFactory()
    person = UserFactory()
    sign_in(client, admin)

    response = client.post(
        reverse("staff:person-roles", args=[person.pk]),
        {"roles": ["facilitator", "assessor"], "reason": "New maths facilitator"},
    )

    assert response.status_code == 302
    assert response.url == person.get_absolute_url()
    assert set(user_roles(person)) == {Role.FACILITATOR, Role.ASSESSOR, Role.TEACHER}
    assert RoleChange.objects.filter(user=person, by=admin).count() == 2


def test_a_role_change_without_a_reason_changes_nothing(client):
    admin = StaffUserFactory()
    person = UserFactory()
    sign_in(client, admin)

    response = client.post(
        reverse("staff:person-roles", args=[person.pk]), {"roles": ["facilitator"]}
    )

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert user_roles(person) == [Role.TEACHER]


def test_the_service_refusal_is_shown_on_the_form(client):
    admin = StaffUserFactory()
    sign_in(client, admin)

    response = client.post(
        reverse("staff:person-roles", args=[admin.pk]), {"roles": [], "reason": "Leaving"}
    )

    assert response.status_code == 200
    assert "cannot remove your own hub administrator role" in response.content.decode()


def test_programme_leads_see_people_but_cannot_change_roles(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    person = UserFactory()

    assert client.get(person.get_absolute_url()).status_code == 200
    assert client.get(reverse("staff:person-roles", args=[person.pk])).status_code == 403


def test_a_missing_person_is_404(client):
    sign_in(client, StaffUserFactory())

    response = client.get(reverse("staff:person-detail", args=[999999]))

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize("rows", [10, 60])
def test_email_log_filters_and_its_query_count_does_not_grow(
    client, django_assert_max_num_queries, rows
):
    sign_in(client, StaffUserFactory())
    EmailDeliveryFactory.create_batch(rows, status="sent", sent_at="2026-11-01T10:00Z")
    failed = EmailDeliveryFactory(status="failed", last_error="SMTP 550 mailbox unavailable")

    with django_assert_max_num_queries(10):
        response = client.get(reverse("staff:email-list"))
    filtered = client.get(reverse("staff:email-list"), {"status": "failed"})

    assert len(response.context["object_list"]) == min(rows + 1, 25)
    assert list(filtered.context["object_list"]) == [failed]
    assert "SMTP 550 mailbox unavailable" in filtered.content.decode()


def test_facilitators_cannot_read_the_email_log(client):
    sign_in(client, StaffUserFactory(roles=[Role.FACILITATOR]))

    assert client.get(reverse("staff:email-list")).status_code == 403


def test_everyone_but_staff_sees_the_public_catalogue_in_the_navigation(client):
    catalogue = reverse("programmes:programme-list")

    visitor_links = client.get(reverse("home")).context["nav_links"]
    sign_in(client, UserFactory())
    teacher_links = client.get(reverse("participants:teacher-home")).context["nav_links"]
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    lead_links = client.get(reverse("staff:home")).context["nav_links"]

    assert [link["url"] for link in visitor_links] == [catalogue]
    assert catalogue in [link["url"] for link in teacher_links]
    assert reverse("programmes:staff-programme-list") in [link["url"] for link in lead_links]
    assert catalogue not in [link["url"] for link in lead_links]


def test_the_current_section_is_marked_in_the_navigation(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    links = client.get(reverse("programmes:staff-programme-list")).context["nav_links"]

    current = [link["label"] for link in links if link["current"]]
    assert current == ["Programmes"]


@pytest.mark.parametrize(("role", "start_page"), ROLE_START_PAGES)
def test_every_link_in_a_roles_navigation_opens_for_them(client, role, start_page):
    sign_in(client, _user_with(role))

    links = client.get(reverse(start_page)).context["nav_links"]

    opened = {link["url"]: client.get(link["url"], follow=True).status_code for link in links}
    refused = [url for url, status in opened.items() if status != 200]
    assert not refused, f"{role.label} is shown links they cannot open: {refused}"


def test_what_staff_use_is_in_the_menu_in_groups_that_fit_one_line(client):
    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))

    context = client.get(reverse("reports:dashboard")).context
    urls = {link["url"] for link in context["nav_links"]}
    page = client.get(reverse("reports:dashboard")).content.decode()

    for name in (
        "reports:milestone-list",
        "mailing_list:subscriber-report",
        "reminders:reminders-upcoming",
        "reports:export-list",
        "reports:audit-log",
    ):
        assert reverse(name) in urls, name
    assert reverse("cohorts:my-calendar") in page  # in the account menu, for everyone
    # Dashboard, Recruitment, Delivery, Assessment, Records, My NPQs: one line at 1280 px.
    assert [item["label"] for item in context["nav_items"]] == [
        "Dashboard",
        "Recruitment",
        "Delivery",
        "Assessment",
        "Records",
        "My NPQs",
    ]


def test_a_group_is_marked_current_when_one_of_its_pages_is_open(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    items = client.get(reverse("reports:milestone-list")).context["nav_items"]

    assert [item["label"] for item in items if item["current"]] == ["Delivery"]


def test_the_bar_marks_the_open_page_and_signs_out_with_the_pages_token(client):
    """The bar (drawn in Python: npq_portal/templatetags/layout.py) marks the open page and
    its group, escapes what people typed, and its sign-out form carries a token that works."""
    person = StaffUserFactory(roles=[Role.PROGRAMME_LEAD], first_name="<Ann>")
    sign_in(client, person)

    page = client.get(reverse("reports:milestone-list")).content.decode()
    bar = page[page.index('<nav class="navbar') : page.index("</nav>")]

    milestones = reverse("reports:milestone-list")
    assert f'<a class="dropdown-item active" href="{milestones}" aria-current="page">' in bar
    assert 'dropdown-toggle btn btn-link active" type="button"' in bar  # Delivery, its group
    assert bar.count('aria-current="page"') == 1
    assert "&lt;Ann&gt;" in bar and "<Ann>" not in bar
    assert "Programme lead" in bar and reverse("cohorts:my-calendar") in bar
    token = bar.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    client.handler.enforce_csrf_checks = True
    signed_out = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": token})
    assert signed_out.status_code == 302
    assert "_auth_user_id" not in client.session


def test_visitors_get_the_bar_with_sign_in_and_the_layouts_files(client):
    page = client.get(reverse("programmes:programme-list")).content.decode()
    bar = page[page.index('<nav class="navbar') : page.index("</nav>")]

    assert f'href="{reverse("account_login")}">Sign in</a>' in bar
    assert f'href="{reverse("account_signup")}">Create an account</a>' in bar
    assert "csrfmiddlewaretoken" not in bar
    assert 'href="/static/css/portal.css"' in page  # {% asset %} as {% static %} gives it


def test_a_bar_kept_drawn_follows_what_it_shows_and_carries_each_pages_token(client):
    """The bar is kept drawn by what it shows (npq_portal/templatetags/layout.py): a change of
    name, email, role or section draws it anew, and each page's sign-out token is its own."""
    person = StaffUserFactory(roles=[Role.FACILITATOR], first_name="Ann")
    sign_in(client, person)

    def bar(name: str) -> str:
        page = client.get(reverse(name)).content.decode()
        return page[page.index('<nav class="navbar') : page.index("</nav>")]

    first = bar("cohorts:cohort-list")
    person.first_name, person.email = "Bea", "bea@example.org"
    person.save()
    renamed = bar("cohorts:cohort-list")
    person.groups.add(Group.objects.get(name=ROLE_SPECS[Role.PROGRAMME_LEAD].group_name))
    promoted = bar("cohorts:cohort-list")
    elsewhere = bar("reports:milestone-list")

    assert ">\nAnn\n<" in first and ">\nBea\n<" in renamed and "bea@example.org" in renamed
    assert reverse("reports:engagement-roster") not in renamed
    assert reverse("reports:engagement-roster") in promoted and "Programme lead" in promoted
    active = 'class="dropdown-item active" href="{}"'
    assert active.format(reverse("cohorts:cohort-list")) in promoted
    assert active.format(reverse("reports:milestone-list")) in elsewhere
    assert active.format(reverse("cohorts:cohort-list")) not in elsewhere
    tokens = {
        each.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        for each in (first, renamed, promoted, elsewhere)
    }
    assert len(tokens) == 4  # masked afresh on every page, as Django's own tag gives it
