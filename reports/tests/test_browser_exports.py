"""Exports in headless Chromium: a small one downloads from the list at once; a large one asks
first, is prepared, and its page (scanned with axe) offers the file; a page left open while
the file is made polls and shows the download when it is ready. Screenshots go to
test-artifacts/."""

import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from npq_portal.tests.browser import SCREENSHOTS, browser_sign_in, serious_violations
from npq_portal.tests.factories import StaffUserFactory
from reports.models import Export

from .factories import ExportFactory, csv_rows, xlsx_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_small_export_downloads_from_the_list_and_a_large_one_is_prepared(
    live_server, page, settings
):
    settings.EXPORTS = {"inline_max_rows": 3, "progress_every": 2, "keep_days": 7}
    for _ in range(2):
        ApplicationFactory(status=Application.Status.SCHOOL_APPROVED)
    for _ in range(3):
        ApplicationFactory(status=Application.Status.AWAITING_SCHOOL)
    browser_sign_in(page, live_server, StaffUserFactory())
    SCREENSHOTS.mkdir(exist_ok=True)

    page.goto(
        live_server.url + reverse("applications:application-list") + "?status=school_approved"
    )
    with page.expect_download() as small:
        page.get_by_role("link", name="Download CSV of Applications").click()
    small_rows = csv_rows(Path(small.value.path()).read_bytes())

    page.goto(live_server.url + reverse("applications:application-list"))
    page.get_by_role("link", name="Download Excel of Applications").click()
    page.get_by_role("heading", name="Applications (Excel)").wait_for()
    page.screenshot(path=SCREENSHOTS / "export-confirm.png", full_page=True)
    confirm_serious, confirm_report = serious_violations(page)
    page.get_by_role("button", name="Prepare the file").click()
    page.get_by_text("Ready: 5 rows.").wait_for()
    page.screenshot(path=SCREENSHOTS / "export-ready.png", full_page=True)
    ready_serious, ready_report = serious_violations(page)
    with page.expect_download() as large:
        page.get_by_role("link", name=re.compile(r"^Download applications-.*\.xlsx$")).click()

    assert len(small_rows) == 1 + 2
    assert small.value.suggested_filename.endswith(".csv")
    assert confirm_serious == [], confirm_report
    assert ready_serious == [], ready_report
    assert len(xlsx_rows(Path(large.value.path()).read_bytes())) == 1 + 5
    assert Export.objects.get().status == Export.Status.DONE


def test_the_status_page_shows_progress_then_the_download_when_the_file_is_ready(live_server, page):
    owner = StaffUserFactory()
    export = ExportFactory(requested_by=owner, status=Export.Status.RUNNING, rows_total=1000)
    export.rows_done = 500
    export.save()
    browser_sign_in(page, live_server, owner)
    SCREENSHOTS.mkdir(exist_ok=True)

    page.goto(live_server.url + export.get_absolute_url())
    page.get_by_role("progressbar", name="Export progress").wait_for()
    page.screenshot(path=SCREENSHOTS / "export-progress.png", full_page=True)
    serious, report = serious_violations(page)
    export.file.save(
        "applications.csv", ContentFile(b"\xef\xbb\xbfApplication\r\n1\r\n"), save=False
    )
    export.status, export.rows_done, export.finished_at = "done", 1000, timezone.now()
    export.save()
    link = page.get_by_role("link", name=f"Download {export.file_name}")
    link.wait_for(timeout=15_000)  # export-progress.js saw it finish and reloaded the page

    assert serious == [], report
    assert page.get_by_text("Ready: 1,000 rows.").is_visible()
