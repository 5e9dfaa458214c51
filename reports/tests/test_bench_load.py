"""The mixed workload's arithmetic and checks (CI's `make bench BENCH_SCALE=small` runs it whole)."""

import statistics

import pytest

from reports.bench_load import (
    PageFigures,
    Record,
    RunFigures,
    answer_problem,
    checked_radios,
    cookie_header,
    cookies_update,
    csrf_token,
    deal,
    load_section,
    percentile,
    run_summary,
)

# ---- Percentiles and a run's summary ----


@pytest.mark.parametrize(
    "values, fraction, expected",
    [
        ([7.0], 0.95, 7.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
        ([4.0, 1.0, 3.0, 2.0], 0.0, 1.0),
        ([4.0, 1.0, 3.0, 2.0], 1.0, 4.0),
        (list(range(1, 101)), 0.95, 95.05),
        (list(range(1, 101)), 0.99, 99.01),
    ],
)
def test_a_percentile_interpolates_between_the_nearest_values(values, fraction, expected):
    assert percentile(values, fraction) == pytest.approx(expected)


def test_percentiles_agree_with_the_standard_librarys_inclusive_quantiles():
    values = [float(v) for v in [12, 250, 31, 48, 5, 77, 120, 64, 9, 400, 18, 55]]
    cuts = statistics.quantiles(values, n=100, method="inclusive")

    assert percentile(values, 0.50) == pytest.approx(cuts[49])
    assert percentile(values, 0.95) == pytest.approx(cuts[94])
    assert percentile(values, 0.99) == pytest.approx(cuts[98])


def test_no_values_have_no_percentile():
    with pytest.raises(ValueError, match="No values"):
        percentile([], 0.5)


def test_a_summary_measures_the_window_and_counts_errors_throughout():
    records = [
        Record("Teacher's home", 100.5, 900.0),  # warming up: not measured
        Record("Teacher's home", 101.0, 10.0, "answered 500, not 200"),  # warming up, an error
        Record("Teacher's home", 110.0, 20.0),
        Record("Teacher's home", 111.0, 40.0),
        Record("Review queue", 112.0, 100.0),
        Record("Review queue", 119.0, 300.0, "answered 403, not 200"),
        Record("Review queue", 120.0, 5000.0),  # after the window
    ]

    run = run_summary(records, label="on", measured_from=110.0, measured_to=120.0)

    assert (run.requests, run.per_second, run.errors) == (4, 0.4, 2)
    assert run.p50 == pytest.approx(70.0)
    queue, home = run.pages  # in the report's order, not the order first seen
    assert (queue.name, queue.requests, queue.errors) == ("Review queue", 2, 1)
    assert (queue.p50, queue.p95) == (pytest.approx(200.0), pytest.approx(290.0))
    assert (home.name, home.requests, home.per_second, home.errors) == (
        "Teacher's home",
        2,
        0.2,
        1,
    )
    assert run.error_samples == [
        "Review queue: answered 403, not 200",
        "Teacher's home: answered 500, not 200",
    ]
    assert not run.goal_met  # errors


def test_a_summary_with_nothing_in_its_window_is_refused():
    with pytest.raises(ValueError, match="No request started"):
        run_summary([Record("My school", 1.0, 5.0)], label="on", measured_from=2, measured_to=3)


def _run(per_second: float, p95: float, *, errors=0, writes=0.0) -> RunFigures:
    pages = [PageFigures("My school", 10, per_second, p95 / 2, p95, p95 * 1.5, errors)]
    if writes:
        pages.append(PageFigures("Save a register (POST)", 10, writes, 10, 20, 30, 0))
    return RunFigures(
        label="x",
        seconds=60.0,
        requests=int(per_second * 60),
        per_second=per_second,
        p50=p95 / 2,
        p95=p95,
        p99=p95 * 1.5,
        errors=errors,
        pages=pages,
        tasks=42,
    )


def test_the_goal_is_every_pages_p95_under_250_ms_and_no_error():
    assert _run(10, 249).goal_met
    assert not _run(10, 250).goal_met
    assert not _run(10, 100, errors=1).goal_met


# ---- The report ----


def test_the_report_gives_each_page_the_goal_and_the_page_caches_record():
    figures = {"load": {"scale": "full", "run": _run(20.0, 300.0, writes=1.5)}}

    section = load_section(figures)
    words = " ".join(section.split())

    assert "| My school | 20.0 | 150 | 300 | 450 | 0 |" in section
    assert "| **all requests** | **20.0** | 150 | **300** | 450 | **0** |" in section
    assert "The people's changes came 1.5 a second" in words
    assert "(42 finished during the run)" in words
    assert "**not met**: p95 at or over 250 ms for My school" in words
    assert "## The signed-in page cache: removed" in section
    assert "| 4 | 21.7 | 593 | 19.7 | 1,218 | 0 | 766 |" in section


def test_a_run_under_the_goal_says_it_was_met():
    words = " ".join(load_section({"load": {"scale": "full", "run": _run(30.0, 120.0)}}).split())

    assert "with 0 errors: met." in words


def test_without_redis_the_report_says_the_workload_was_not_run():
    assert "Not run: there was no Redis" in load_section({"load": None})


# ---- Sharing out the applications to accept ----


def test_dealing_gives_no_application_twice_and_no_cohort_more_than_its_list():
    by_cohort = [["a1", "a2", "a3"], ["b1"], ["c1", "c2"]]

    hands = deal(by_cohort, hands=2, each=2)

    assert hands == [["a1", "c1"], ["b1", "a2"]]


def test_dealing_runs_out_rather_than_reuse():
    assert deal([["a1"], ["b1"]], hands=3, each=5) == [["a1"], ["b1"], []]


# ---- Reading and checking answers as a browser would ----


def test_cookies_are_kept_updated_and_deleted_as_the_server_says():
    jar = {"__Host-sessionid": "abc"}

    cookies_update(
        jar,
        [
            "__Host-csrftoken=tok1; expires=Sat, 04 Dec 2027 10:00:00 GMT; Max-Age=31449600; "
            "Path=/; SameSite=Lax; Secure",
            "messages=.eJyLjgUAARUAuQ:1tRz:sig; HttpOnly; Path=/; SameSite=Lax; Secure",
        ],
    )
    assert jar == {
        "__Host-sessionid": "abc",
        "__Host-csrftoken": "tok1",
        "messages": ".eJyLjgUAARUAuQ:1tRz:sig",
    }

    cookies_update(
        jar,
        ['messages=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax'],
    )
    assert cookie_header(jar) == "__Host-sessionid=abc; __Host-csrftoken=tok1"


def test_a_forms_token_and_its_checked_marks_are_read_from_the_page():
    page = """
    <form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="T0k3n">
    <input type="radio" class="btn-check" name="mark-7" id="id_mark-7_0" value="present" checked>
    <input type="radio" class="btn-check" name="mark-7" id="id_mark-7_1" value="late">
    <input type="radio" class="btn-check" name="mark-9" id="id_mark-9_0" value="present">
    <input type="radio" class="btn-check" name="mark-9" id="id_mark-9_2" value="absent" checked>
    </form>"""

    assert csrf_token(page) == "T0k3n"
    assert checked_radios(page) == {"mark-7": "present", "mark-9": "absent"}
    assert csrf_token("<p>No form</p>") is None


@pytest.mark.parametrize(
    "answer, expected",
    [
        ({"status": 200, "location": None, "body": "<h1>Queue</h1>"}, None),
        ({"status": 500, "location": None, "body": "Server Error"}, "answered 500, not 200"),
        (
            {"status": 302, "location": "/accounts/login/?next=/my-npqs/", "body": ""},
            "answered 302, not 200 (to /accounts/login/?next=/my-npqs/)",
        ),
        (  # a form drawn again with its error instead of saved
            {
                "status": 200,
                "location": None,
                "body": '<div class="alert alert-danger" role="alert">2 marks would change: '
                "<b>say why</b></div>",
                "expect_status": 302,
            },
            "answered 200, not 302: 2 marks would change: say why",
        ),
        (
            {
                "status": 302,
                "location": "/applications/5/check/",
                "body": "",
                "expect_status": 302,
                "expect_location": "/applications/5/",
            },
            "redirected to /applications/5/check/, not /applications/5/",
        ),
        (  # refused, and told so on the page it went back to
            {
                "status": 200,
                "location": None,
                "body": '<div class="alert alert-danger">Cohort 3 is full.</div>',
                "expect_text": "Application accepted.",
            },
            "the page shows an error: Cohort 3 is full.",
        ),
        (
            {"status": 200, "location": None, "body": "<p>Hello</p>", "expect_text": "Saved"},
            "the page does not say 'Saved'",
        ),
        (
            {
                "status": 200,
                "location": None,
                "body": '<div class="alert alert-success">Application accepted.</div>',
                "expect_text": "Application accepted.",
            },
            None,
        ),
    ],
)
def test_an_answer_is_wrong_unless_it_is_the_one_expected(answer, expected):
    assert answer_problem(**answer) == expected
