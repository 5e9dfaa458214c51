"""Large exports: made by the Celery task with progress saved in batches, safe to run twice,
downloadable by their owner alone, and forgotten after a week."""

import datetime
import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from cohorts.models import Session
from cohorts.tests.factories import CohortFactory, SessionFactory
from npq_portal.roles import Role
from npq_portal.services import user_set_roles
from npq_portal.tests.factories import StaffUserFactory, sign_in
from participants.models import Attendance, Enrolment
from participants.selectors import progress_rows
from participants.tests.factories import EnrolmentFactory
from reports import selectors, services
from reports.models import Export
from reports.services import export_start, exports_forget_old
from reports.tasks import export_build_task
from schools.models import SchoolLeadership
from schools.tests.factories import SchoolFactory

from .factories import ExportFactory, body_of, column, csv_rows, xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_threshold(settings):
    settings.EXPORTS = {"inline_max_rows": 3, "progress_every": 2, "keep_days": 7}


def _applications(n: int, **kwargs) -> list[Application]:
    return [
        ApplicationFactory(status=Application.Status.SCHOOL_APPROVED, **kwargs) for _ in range(n)
    ]


def test_a_large_export_asks_first_then_the_task_makes_it_with_progress_in_batches(
    client, small_threshold, django_capture_on_commit_callbacks
):
    _applications(5)
    ApplicationFactory(status=Application.Status.WITHDRAWN)
    owner = StaffUserFactory()
    sign_in(client, owner)
    url = reverse("reports:export-create", args=["applications", "csv"])

    confirm = client.get(url, {"status": "school_approved"})
    # Outermost, so it sees the task that runs as the inner block commits.
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        started = client.post(url, {"status": "school_approved"})

    export = Export.objects.get()
    assert "This export has 5 rows" in confirm.content.decode()
    assert not Export.objects.exclude(pk=export.pk).exists()
    assert started.url == export.get_absolute_url()
    assert export.requested_by == owner
    assert export.filters == {"status": "school_approved"}
    assert (export.status, export.rows_done, export.rows_total) == ("done", 5, 5)
    assert export.started_at <= export.finished_at
    progress_writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('UPDATE "reports_export" SET "rows_done" =')
    ]
    assert len(progress_writes) == 2  # after rows 2 and 4 (then done): not one a row
    rows = csv_rows(body_of(client.get(reverse("reports:export-download", args=[export.pk]))))
    assert len(column(rows, "Application")) == 5


def test_an_excel_export_from_the_task_opens_in_openpyxl(
    client, small_threshold, django_capture_on_commit_callbacks
):
    _applications(4)
    sign_in(client, StaffUserFactory())

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:export-create", args=["applications", "xlsx"]))
    export = Export.objects.get()
    download = client.get(reverse("reports:export-download", args=[export.pk]))

    assert export.file_name.endswith(".xlsx")
    assert download["Content-Disposition"].startswith("attachment")
    assert len(xlsx_rows(body_of(download))) == 1 + 4


def test_only_the_person_who_asked_sees_an_export_or_downloads_its_file(
    client, small_threshold, django_capture_on_commit_callbacks
):
    _applications(4)
    sign_in(client, StaffUserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:export-create", args=["applications", "csv"]))
    export = Export.objects.get()
    sign_in(client, StaffUserFactory())  # another hub administrator

    for name in ("export-detail", "export-progress", "export-download"):
        assert client.get(reverse(f"reports:{name}", args=[export.pk])).status_code == 404, name
    assert export not in client.get(reverse("reports:export-list")).context["object_list"]


def test_the_status_page_polls_with_javascript_and_refreshes_without_it(client):
    export = ExportFactory(status=Export.Status.RUNNING, rows_total=1000, rows_done=500)
    sign_in(client, export.requested_by)

    page = client.get(export.get_absolute_url()).content.decode()
    progress = client.get(reverse("reports:export-progress", args=[export.pk])).json()

    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert "js/export-progress.js" in page
    assert "<script>" not in page  # no inline script
    assert 'aria-valuenow="50"' in page
    assert progress == {
        "status": "running",
        "status_label": "Being prepared",
        "rows_done": 500,
        "rows_total": 1000,
        "percent": 50,
        "finished": False,
    }


def test_a_finished_export_page_offers_the_download_and_stops_refreshing(
    client, small_threshold, django_capture_on_commit_callbacks
):
    _applications(4)
    sign_in(client, StaffUserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:export-create", args=["applications", "csv"]))
    export = Export.objects.get()

    page = client.get(export.get_absolute_url()).content.decode()

    assert "refresh" not in page and "export-progress.js" not in page
    assert reverse("reports:export-download", args=[export.pk]) in page
    assert "Ready: 4 rows." in page


def test_an_owner_who_lost_the_permission_may_no_longer_download_the_file(
    client, small_threshold, django_capture_on_commit_callbacks
):
    _applications(4)
    owner = StaffUserFactory()
    sign_in(client, owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:export-create", args=["applications", "csv"]))
    export = Export.objects.get(status=Export.Status.DONE)
    user_set_roles(user=owner, roles=[Role.FACILITATOR], by=None, reason="Moved")

    download = client.get(reverse("reports:export-download", args=[export.pk]), follow=True)

    assert download.redirect_chain == [(reverse("reports:export-list"), 302)]
    assert "Content-Disposition" not in download
    assert "You may no longer export applications" in download.content.decode()


def test_an_owner_whose_columns_narrowed_may_no_longer_download_the_wider_file(
    client, small_threshold, django_capture_on_commit_callbacks
):
    owner = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR, Role.SCHOOL_LEADER])
    school = SchoolFactory()
    SchoolLeadership.objects.create(user=owner, school=school, confirmed_at=timezone.now())
    _applications(4, school=school)
    sign_in(client, owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("reports:export-create", args=["applications", "csv"]), {"schools": "mine"}
        )
    export = Export.objects.get(status=Export.Status.DONE)
    assert export.filters == {"schools": "mine"} and "trn" in export.columns
    # Still a school leader, who may export applications, but without the TRN and funding.
    user_set_roles(user=owner, roles=[Role.SCHOOL_LEADER], by=None, reason="Moved")

    download = client.get(reverse("reports:export-download", args=[export.pk]), follow=True)

    assert "Content-Disposition" not in download
    assert "has changed since this file was made" in download.content.decode()


def test_running_the_task_twice_makes_one_file(small_threshold):
    _applications(4)
    export = ExportFactory()

    export_build_task(export.pk)
    export.refresh_from_db()
    first = (export.file.name, export.finished_at)
    export_build_task(export.pk)
    export.refresh_from_db()

    assert export.status == Export.Status.DONE
    assert (export.file.name, export.finished_at) == first


def test_a_task_for_an_export_deleted_meanwhile_does_nothing():
    export = ExportFactory()
    export.delete()

    export_build_task(export.pk)

    assert not Export.objects.exists()


def test_asking_twice_while_the_first_is_being_made_returns_the_first():
    owner = StaffUserFactory()

    first = export_start(user=owner, kind="applications", file_format="csv", filters={"q": "a"})
    again = export_start(user=owner, kind="applications", file_format="csv", filters={"q": "a"})
    other = export_start(user=owner, kind="applications", file_format="csv", filters={"q": "b"})

    assert again == first
    assert other != first
    assert Export.objects.count() == 2


def test_an_owner_who_lost_the_permission_gets_a_failed_export_and_no_file(small_threshold):
    _applications(4)
    export = ExportFactory()
    user_set_roles(user=export.requested_by, roles=[Role.FACILITATOR], by=None, reason="Moved")

    export_build_task(export.pk)

    export.refresh_from_db()
    assert export.status == Export.Status.FAILED
    assert "You can no longer export this" in export.error
    assert not export.file


def test_a_filter_out_of_scope_by_the_time_it_runs_fails_with_a_reason(small_threshold):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    export = ExportFactory(
        requested_by=facilitator, kind=Export.Kind.ATTENDANCE, filters={"cohort": "999999"}
    )

    export_build_task(export.pk)

    export.refresh_from_db()
    assert export.status == Export.Status.FAILED
    assert export.error.startswith("You can no longer export this")


def test_exports_are_forgotten_with_their_files_after_a_week(small_threshold):
    _applications(1)
    old, recent = ExportFactory(), ExportFactory()
    export_build_task(old.pk)
    old.refresh_from_db()
    path = old.file.path
    Export.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))

    deleted = exports_forget_old()

    assert deleted == 1
    assert list(Export.objects.all()) == [recent]
    assert not os.path.exists(path)


def test_an_unfinished_export_cannot_be_downloaded(client):
    export = ExportFactory()
    sign_in(client, export.requested_by)

    assert client.get(reverse("reports:export-download", args=[export.pk])).status_code == 404


def _stalled_running_export(minutes_since_progress: int = 16, **kwargs) -> Export:
    """An export a worker started and then died making: no progress for a while."""
    export = ExportFactory(status=Export.Status.RUNNING, rows_total=1000, rows_done=500, **kwargs)
    then = timezone.now() - datetime.timedelta(minutes=minutes_since_progress)
    Export.objects.filter(pk=export.pk).update(started_at=then, updated_at=then)
    return export


def test_asking_again_after_the_worker_died_starts_afresh_and_fails_the_stalled_export():
    stalled = _stalled_running_export(filters={"q": "a"})

    again = export_start(
        user=stalled.requested_by, kind="applications", file_format="csv", filters={"q": "a"}
    )

    stalled.refresh_from_db()
    assert again != stalled
    assert stalled.status == Export.Status.FAILED
    assert "Export the list again" in stalled.error


def test_asking_again_while_the_first_is_still_making_progress_returns_the_first():
    running = _stalled_running_export(minutes_since_progress=5, filters={"q": "a"})

    again = export_start(
        user=running.requested_by, kind="applications", file_format="csv", filters={"q": "a"}
    )

    running.refresh_from_db()
    assert again == running
    assert running.status == Export.Status.RUNNING


def test_a_stalled_exports_page_stops_refreshing_and_says_to_export_again(client):
    stalled = _stalled_running_export()
    sign_in(client, stalled.requested_by)

    progress = client.get(reverse("reports:export-progress", args=[stalled.pk])).json()
    page = client.get(stalled.get_absolute_url()).content.decode()
    listed = client.get(reverse("reports:export-list")).content.decode()

    assert (progress["status"], progress["finished"]) == ("failed", True)
    assert "export-progress.js" not in page and "refresh" not in page
    assert "stopped being made part of the way through" in page
    assert "Export the list again to start afresh." in page
    assert "Being prepared" not in listed


def test_a_run_declared_stalled_while_still_writing_leaves_the_export_failed_and_no_file(
    small_threshold, monkeypatch, settings
):
    _applications(4)
    export = ExportFactory()
    real_write = services._write

    def write_then_found_stalled(**kwargs):
        real_write(**kwargs)
        # The worker went quiet so long that its page marked the export failed meanwhile.
        Export.objects.filter(pk=export.pk).update(
            updated_at=timezone.now() - datetime.timedelta(hours=1)
        )
        services.exports_fail_stalled(exports=Export.objects.filter(pk=export.pk))

    monkeypatch.setattr(services, "_write", write_then_found_stalled)

    export_build_task(export.pk)

    export.refresh_from_db()
    assert export.status == Export.Status.FAILED
    assert "Export the list again" in export.error
    assert not export.file
    assert [files for _, _, files in os.walk(settings.MEDIA_ROOT) if files] == []


def test_a_redelivered_task_takes_over_a_stalled_export_nobody_looked_at(small_threshold):
    _applications(4)
    stalled = _stalled_running_export()

    export_build_task(stalled.pk)

    stalled.refresh_from_db()
    assert (stalled.status, stalled.rows_done) == (Export.Status.DONE, 4)


def test_opening_an_expired_exports_download_says_it_expired_and_can_be_made_again(
    client, small_threshold
):
    _applications(1)
    export = ExportFactory()
    export_build_task(export.pk)
    export.refresh_from_db()
    export.file.delete(save=False)  # as forget-old-exports does, before it deletes the record
    sign_in(client, export.requested_by)

    response = client.get(reverse("reports:export-download", args=[export.pk]), follow=True)

    assert response.redirect_chain == [(reverse("reports:export-list"), 302)]
    assert [str(message) for message in response.context["messages"]] == [
        f"{export.file_name} has expired and is no longer kept. "
        "Export the list again to make a new one."
    ]


def _attendance_cohorts() -> list:
    """Two cohorts of registers: three places with two scheduled sessions, one withdrawn place
    and one cancelled session (neither in the grid), and one place with three sessions."""
    first, second = CohortFactory(), CohortFactory()
    sessions = [SessionFactory(cohort=first) for _ in range(2)]
    SessionFactory(cohort=first, status=Session.Status.CANCELLED)
    for _ in range(3):
        place = EnrolmentFactory(cohort=first)
        for session in sessions:
            Attendance.objects.create(session=session, enrolment=place, mark="present")
    EnrolmentFactory(cohort=first, status=Enrolment.Status.WITHDRAWN)
    EnrolmentFactory(cohort=second)
    for _ in range(3):
        SessionFactory(cohort=second)
    return [first, second]


def test_an_attendance_export_builds_the_grid_once_from_asking_to_its_file(
    client, small_threshold, monkeypatch, django_capture_on_commit_callbacks
):
    cohort = _attendance_cohorts()[0]
    sign_in(client, StaffUserFactory())
    url = reverse("reports:export-create", args=["attendance", "csv"])
    builds = []
    monkeypatch.setattr(
        selectors,
        "progress_rows",
        lambda **kwargs: builds.append(1) or progress_rows(**kwargs),
    )

    confirm = client.get(url, {"cohort": cohort.pk})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"cohort": cohort.pk})

    export = Export.objects.get()
    assert "This export has 6 rows" in confirm.content.decode()
    assert (export.status, export.rows_done, export.rows_total) == ("done", 6, 6)
    assert len(builds) == 1


def test_an_attendance_export_counts_exactly_the_lines_it_holds():
    _attendance_cohorts()

    found = selectors.attendance_export_rows(user=StaffUserFactory(), filters={})

    assert found.total == len(list(found.rows)) == 3 * 2 + 1 * 3
