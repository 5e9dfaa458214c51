import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessment.models import AssessmentWindow, EligibilityException, Submission
from assessment.services import submission_save_draft, submission_submit
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from participants.tests.factories import EnrolmentFactory

from .conftest import AFTER_CLOSING, BEFORE_OPENING, WHILE_OPEN, attended
from .factories import (
    AssessmentWindowFactory,
    CaseStudyMaterialFactory,
    SubmissionFactory,
    minimal_docx,
)

pytestmark = pytest.mark.django_db


def _url(name, window, **kwargs):
    return reverse(f"assessment:{name}", kwargs={"pk": window.pk, **kwargs})


@pytest.fixture
def teacher(client, place):
    sign_in(client, place.participant)
    return place.participant


@pytest.fixture
def lead(client):
    user = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    sign_in(client, user)
    return user


# ---- The participant's pages ----


def test_before_opening_the_page_gives_the_dates_limit_and_eligibility(client, teacher, window):
    with time_machine.travel(BEFORE_OPENING):
        page = client.get(_url("assessment-detail", window)).content.decode()

    assert "10:00 on Thursday 1 June 2028" in page  # 09:00 UTC is 10:00 in a British summer
    assert "1,500 words" in page
    assert "You can take the assessment" in page
    assert "Start writing" not in page


def test_an_ineligible_participant_is_told_why_and_what_to_do(client, teacher, place, window):
    attended(place, present=17, sessions=19)

    with time_machine.travel(WHILE_OPEN):
        page = client.get(_url("assessment-detail", window)).content.decode()
        write = client.get(_url("submission-write", window))

    assert "You cannot take the assessment yet" in page
    assert "Your participation so far is 89%" in page
    assert write.status_code == 302 and write.url == _url("assessment-detail", window)


def test_a_draft_survives_a_reload(client, teacher, window):
    with time_machine.travel(WHILE_OPEN):
        saved = client.post(
            _url("submission-write", window),
            {"text": "Leading maths across the school", "action": "save"},
        )
        again = client.get(_url("submission-write", window))

    assert saved.status_code == 302
    assert "Leading maths across the school" in again.content.decode()
    assert "5 words of 1,500" in again.content.decode()


def test_the_autosave_answers_with_the_time_and_a_repeat_changes_nothing(client, teacher, window):
    with time_machine.travel(WHILE_OPEN, tick=False):
        first = client.post(_url("submission-autosave", window), {"text": "Draft one"})
        repeat = client.post(_url("submission-autosave", window), {"text": "Draft one"})

    assert first.status_code == 200 and first.json()["saved_at"] == "13:00"  # BST
    assert repeat.json() == first.json()
    assert Submission.objects.get().text == "Draft one"


def test_the_autosave_says_why_it_did_not_save(client, teacher, window):
    with time_machine.travel(AFTER_CLOSING):
        response = client.post(_url("submission-autosave", window), {"text": "Late"})

    assert response.status_code == 400 and "closed at" in response.json()["error"]


def test_saving_after_the_close_keeps_the_text_on_the_page_and_says_why(client, teacher, window):
    # The page was opened in time, and Save pressed after the window closed.
    with time_machine.travel(AFTER_CLOSING):
        response = client.post(
            _url("submission-write", window), {"text": "My final paragraph", "action": "save"}
        )

    assert response.status_code == 200
    page = response.content.decode()
    assert "My final paragraph" in page and "closed at" in page
    assert not Submission.objects.exists()


def test_a_draft_over_the_limit_is_saved_and_the_check_page_says_by_how_much(
    client, teacher, window
):
    window.programme.assessment_word_limit = 3
    window.programme.save()

    with time_machine.travel(WHILE_OPEN):
        client.post(
            _url("submission-write", window), {"text": "one two three four five", "action": "save"}
        )
        page = client.get(_url("submission-write", window)).content.decode()
        check = client.get(_url("submission-check", window)).content.decode()
        refused = client.post(_url("submission-check", window), follow=True)

    assert "one two three four five" in page and "2 over the limit" in page
    assert "Cut at least 2 words" in check
    assert "5 words; the limit is 3" in refused.content.decode()
    assert Submission.objects.get().status == Submission.Status.DRAFT


def test_check_then_submit_shows_the_time_and_a_second_submit_changes_nothing(
    client, teacher, window
):
    with time_machine.travel(WHILE_OPEN, tick=False):
        client.post(_url("submission-write", window), {"text": "My case", "action": "continue"})
        check = client.get(_url("submission-check", window))
        done = client.post(_url("submission-check", window), follow=True)
        twice = client.post(_url("submission-check", window), follow=True)

    assert "Check your case study before you submit it" in check.content.decode()
    page = done.content.decode()
    assert "Case study submitted" in page and "13:00 on Friday 2 June 2028" in page
    assert "submitted on time" in page
    assert "already submitted" in twice.content.decode()
    assert Submission.objects.filter(status="submitted").count() == 1


def test_an_upload_checked_by_content(client, teacher, window):
    with time_machine.travel(WHILE_OPEN):
        refused = client.post(
            _url("submission-upload", window),
            {"upload": SimpleUploadedFile("case.pdf", b"I am not a PDF")},
        )
        accepted = client.post(
            _url("submission-upload", window),
            {"upload": SimpleUploadedFile("case.docx", minimal_docx())},
        )

    assert refused.status_code == 200 and "There is a problem" in refused.content.decode()
    assert "whatever its name says" in refused.content.decode()
    assert accepted.status_code == 302
    assert Submission.objects.get().original_filename == "case.docx"


def test_materials_are_for_eligible_participants_once_the_window_opens(
    client, teacher, place, window
):
    material = CaseStudyMaterialFactory(window=window)
    url = _url("material-download", window, material_pk=material.pk)

    with time_machine.travel(BEFORE_OPENING):
        early = client.get(url)
    with time_machine.travel(WHILE_OPEN):
        page = client.get(_url("assessment-detail", window)).content.decode()
        download = client.get(url)
    attended(place, present=1, sessions=10)
    with time_machine.travel(WHILE_OPEN):
        ineligible = client.get(url)

    assert early.status_code == 403
    assert material.title in page
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert "oakfield-case-study.pdf" in download["Content-Disposition"]
    assert ineligible.status_code == 403


def test_another_teacher_cannot_see_someone_elses_window(client, window):
    CaseStudyMaterialFactory(window=window)
    sign_in(client, EnrolmentFactory().participant)

    with time_machine.travel(WHILE_OPEN):
        responses = [
            client.get(_url(name, window))
            for name in ("assessment-detail", "submission-write", "submission-check")
        ] + [client.post(_url("submission-autosave", window), {"text": "x"})]

    assert [response.status_code for response in responses] == [404, 404, 404, 404]
    assert not Submission.objects.exists()


def test_the_participants_list_shows_their_windows_only(client, teacher, window):
    AssessmentWindowFactory(title="Someone else's window")

    page = client.get(reverse("assessment:my-assessments")).content.decode()

    assert window.title in page and "Someone else's window" not in page


# ---- Hub staff's pages ----


def test_a_teacher_gets_403_on_staff_pages(client, teacher, place, window):
    urls = [
        reverse("assessment:window-list"),
        reverse("assessment:window-create"),
        _url("window-detail", window),
        _url("window-update", window),
        _url("exception-grant", window, enrolment_pk=place.pk),
        _url("deadline-extend", window, enrolment_pk=place.pk),
    ]

    assert [client.get(url).status_code for url in urls] == [403] * len(urls)


@pytest.mark.parametrize("count", [3, 40])
def test_the_window_list_has_a_fixed_number_of_queries(
    client, lead, django_assert_max_num_queries, count
):
    for window in AssessmentWindowFactory.create_batch(count):
        SubmissionFactory(enrolment__cohort__programme=window.programme, window=window)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("assessment:window-list"))

    assert len(response.context["object_list"]) == min(count, 25)


def test_the_window_list_counts_each_windows_submitted_work_and_drafts(client, lead):
    busy, quiet = AssessmentWindowFactory(), AssessmentWindowFactory()
    for sent in (True, True, False):
        SubmissionFactory(
            enrolment=EnrolmentFactory(cohort__programme=busy.programme),
            window=busy,
            status="submitted" if sent else "draft",
            submitted_at=busy.opens_at if sent else None,
        )

    response = client.get(reverse("assessment:window-list"))

    counts = {w: (w.submitted, w.drafts) for w in response.context["object_list"]}
    assert counts == {busy: (2, 1), quiet: (0, 0)}


@pytest.mark.parametrize("people", [2, 20])
def test_the_window_page_has_a_fixed_number_of_queries(
    client, lead, window, django_assert_max_num_queries, people
):
    places = EnrolmentFactory.create_batch(people, cohort=window.cohort)
    attended(places[0], present=1, sessions=2)  # the others missed both
    SubmissionFactory(enrolment=places[1], window=window, text="Draft", word_count=1)

    with time_machine.travel(WHILE_OPEN), django_assert_max_num_queries(22):
        response = client.get(_url("window-detail", window))

    rows = response.context["rows"]
    assert len(rows) == people + 1  # and the fixture's place
    page = response.content.decode()
    assert "50%" in page and "Draft, 1 words" in page
    assert "Grant exception" in page


def test_staff_add_a_window_that_closes_after_eight_days(client, lead, window):
    response = client.post(
        reverse("assessment:window-create"),
        {
            "programme": window.programme.pk,
            "cohort": window.cohort.pk,
            "title": "Autumn resit",
            "opens_at": "2028-11-01T09:00",
            "closes_at": "",
            "results_release_at": "2028-12-20T09:00",
        },
    )

    created = AssessmentWindow.objects.get(title="Autumn resit")
    assert response.status_code == 302
    assert created.closes_at - created.opens_at == datetime.timedelta(days=8)
    assert created.created_by == lead


def test_the_window_form_shows_the_services_refusals_and_saves_nothing(client, lead, window):
    elsewhere = EnrolmentFactory().cohort  # another programme's
    fields = {
        "programme": window.programme.pk,
        "cohort": window.cohort.pk,
        "title": "Autumn resit",
        "opens_at": "2028-11-01T09:00",
        "closes_at": "",
        "results_release_at": "2028-12-20T09:00",
    }

    wrong_cohort = client.post(
        reverse("assessment:window-create"), {**fields, "cohort": elsewhere.pk}
    )
    too_soon = client.post(
        reverse("assessment:window-create"), {**fields, "results_release_at": "2028-11-05T09:00"}
    )

    assert wrong_cohort.context["form"].errors["cohort"] == [
        f"{elsewhere} is not a cohort of {window.programme}."
    ]
    assert "Results cannot be released before the window closes." in too_soon.content.decode()
    assert AssessmentWindow.objects.count() == 1


def test_the_window_edit_page_says_it_edits_the_window(client, lead, window):
    add = client.get(reverse("assessment:window-create")).content.decode()
    edit = client.get(_url("window-update", window)).content.decode()

    assert "<h1>Add an assessment window</h1>" in add
    assert f"<h1>Edit “{window.title}”</h1>" in edit
    assert f"<title>Edit {window.title}" in edit
    assert "Add an assessment window" not in edit
    assert f'value="{window.title}"' in edit  # the form holds the window's own values


def test_moving_a_window_with_work_in_it_is_refused_on_the_page(client, lead, place, window):
    SubmissionFactory(enrolment=place, window=window)
    other = EnrolmentFactory(cohort__programme=window.programme).cohort

    response = client.post(
        _url("window-update", window),
        {
            "programme": window.programme.pk,
            "cohort": other.pk,
            "title": window.title,
            "opens_at": "2028-06-01T10:00",
            "closes_at": "2028-06-09T10:00",
            "results_release_at": "2028-07-20T10:00",
            "anonymous_marking": "on",
        },
    )

    assert response.status_code == 200
    assert "its programme and cohort cannot change" in response.content.decode()
    window.refresh_from_db()
    assert window.cohort == place.cohort


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("notes.html", b"%PDF-1.4 case", "application/pdf"),
        (
            "case.txt",
            minimal_docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_a_file_is_served_as_the_kind_its_content_is_whatever_its_name(
    client, lead, window, name, data, content_type
):
    client.post(
        _url("material-add", window), {"title": "Case", "upload": SimpleUploadedFile(name, data)}
    )
    material = window.materials.get()

    response = client.get(_url("staff-material-download", window, material_pk=material.pk))

    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == data


def test_staff_upload_a_material_checked_by_content(client, lead, window):
    refused = client.post(
        _url("material-add", window),
        {"title": "Case", "upload": SimpleUploadedFile("case.pdf", b"no")},
    )
    added = client.post(
        _url("material-add", window),
        {"title": "Case", "upload": SimpleUploadedFile("case.pdf", b"%PDF-1.4 case")},
    )

    assert refused.status_code == 200 and window.materials.count() == 1
    assert added.status_code == 302


def test_staff_grant_an_exception_with_a_reason(client, lead, place, window):
    attended(place, present=1, sessions=10)
    url = _url("exception-grant", window, enrolment_pk=place.pk)

    missing = client.post(url, {"reason": ""})
    nothing_granted = not EligibilityException.objects.exists()
    granted = client.post(url, {"reason": "Hospital stay in March"})

    assert missing.status_code == 200 and nothing_granted
    assert granted.status_code == 302
    assert EligibilityException.objects.get().granted_by == lead


def test_a_second_press_of_grant_exception_changes_nothing_and_says_so_calmly(
    client, lead, place, window
):
    attended(place, present=1, sessions=10)
    url = _url("exception-grant", window, enrolment_pk=place.pk)

    client.post(url, {"reason": "Hospital stay in March"})
    again = client.post(url, {"reason": "Pressed twice"}, follow=True)

    assert (
        again.redirect_chain[-1][0] == f"{_url('window-detail', window)}?cohort={place.cohort_id}"
    )
    assert "already granted" in again.content.decode()
    assert EligibilityException.objects.get().reason == "Hospital stay in March"


def test_staff_extend_a_deadline_then_a_late_submission_is_flagged(client, lead, place, window):
    url = _url("deadline-extend", window, enrolment_pk=place.pk)

    response = client.post(url, {"until": "2028-06-12T17:00", "reason": "Bereavement"})
    with time_machine.travel(WHILE_OPEN):
        submission_save_draft(enrolment=place, window=window, text="Case")
    with time_machine.travel(AFTER_CLOSING):
        submission = submission_submit(enrolment=place, window=window, by=place.participant)

    assert response.status_code == 302
    assert submission.late


def test_staff_cannot_decide_for_a_place_outside_the_window(client, lead, window):
    elsewhere = EnrolmentFactory()

    response = client.get(_url("exception-grant", window, enrolment_pk=elsewhere.pk))

    assert response.status_code == 404


def test_a_facilitator_without_the_right_cannot_open_the_window_page(client, window):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    window.cohort.facilitators.add(facilitator)
    sign_in(client, facilitator)

    assert client.get(_url("window-detail", window)).status_code == 403


def test_another_users_window_is_not_found_for_an_unrelated_teacher(client, window):
    sign_in(client, UserFactory())

    assert client.get(_url("assessment-detail", window)).status_code == 404
