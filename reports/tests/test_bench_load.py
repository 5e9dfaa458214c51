"""The mixed workload's arithmetic and checks (CI's `make bench BENCH_SCALE=small` runs it whole)."""

import statistics

import pytest

from reports.bench_load import (
    PageFigures,
    Record,
    RunFigures,
    answer_problem,
    cache_verdict,
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


def _run(per_second: float, p95: float, *, cache=None, errors=0, writes=0.0) -> RunFigures:
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
        cache=cache,
    )


def test_the_hit_rate_is_the_share_of_cached_pages_served_a_kept_copy():
    assert _run(10, 100, cache={"hit": 30, "miss": 50, "bypass": 20}).hit_rate == 0.3
    assert _run(10, 100, cache={"hit": 0, "miss": 0, "bypass": 0}).hit_rate is None
    assert _run(10, 100).hit_rate is None


def test_the_goal_is_every_pages_p95_under_250_ms_and_no_error():
    assert _run(10, 249).goal_met
    assert not _run(10, 250).goal_met
    assert not _run(10, 100, errors=1).goal_met


# ---- Does the page cache earn its place? ----


SERVING = {"hit": 30, "miss": 60, "bypass": 10}  # a hit rate of 30%


@pytest.mark.parametrize(
    "on, off, keeps",
    [
        ((24.0, 100.0), (20.0, 100.0), True),  # 20% more requests a second
        ((23.9, 100.0), (20.0, 100.0), False),
        ((20.0, 80.0), (20.0, 100.0), True),  # p95 a fifth lower
        ((20.0, 81.0), (20.0, 100.0), False),
        ((18.0, 150.0), (20.0, 100.0), False),  # worse on both
        ((30.0, 50.0), (20.0, 100.0), True),
    ],
)
def test_the_cache_stays_only_for_a_fifth_more_throughput_or_a_fifth_off_p95(on, off, keeps):
    verdict = cache_verdict(_run(*on, cache=SERVING), _run(*off))

    assert verdict.keeps is keeps


@pytest.mark.parametrize(
    "counts, keeps",
    [
        ({"hit": 5, "miss": 90, "bypass": 5}, True),  # 5%
        ({"hit": 4, "miss": 91, "bypass": 5}, False),
        ({"hit": 0, "miss": 600, "bypass": 100}, False),
        (None, False),  # not counted
    ],
)
def test_a_cache_that_served_next_to_nothing_cannot_earn_its_place(counts, keeps):
    """Faster runs with the cache on but serving nothing from it are the machine's noise."""
    verdict = cache_verdict(_run(30.0, 50.0, cache=counts), _run(20.0, 100.0))

    assert verdict.keeps is keeps


def test_the_verdict_gives_the_change_in_both():
    verdict = cache_verdict(_run(25.0, 75.0, cache=SERVING), _run(20.0, 100.0))

    assert verdict.throughput_gain == pytest.approx(0.25)
    assert verdict.p95_cut == pytest.approx(0.25)


def test_the_report_gives_both_runs_and_the_decision():
    figures = {
        "load": {
            "scale": "full",
            "on": _run(20.0, 300.0, cache={"hit": 5, "miss": 80, "bypass": 15}, writes=1.5),
            "off": _run(21.0, 280.0, cache={"hit": 0, "miss": 0, "bypass": 90}),
        }
    }

    section = load_section(figures)
    words = " ".join(section.split())

    assert "| My school | 20.0 | 150 | 300 | 450 | 0 | 21.0 | 140 | 280 | 420 | 0 |" in section
    assert "5% (5 hits, 80 misses, 15 drawn without the cache)" in words
    assert "The people's changes came 1.5 a second (cache on) and 0.0 (off)" in words
    assert "throughput -5% (20.0 against 21.0 requests/s)" in words
    assert "p95 of all requests +7% (300 against 280 ms)" in words
    assert "it served 5% of the requests to its pages" in words
    assert "**No: it does not earn its place**" in words
    assert "**not met**: p95 at or over 250 ms for My school" in words


def test_the_report_says_when_a_difference_cannot_be_the_caches_doing():
    figures = {
        "load": {
            "scale": "full",
            "on": _run(22.0, 600.0, cache={"hit": 0, "miss": 600, "bypass": 100}),
            "off": _run(20.0, 1200.0, cache={"hit": 0, "miss": 0, "bypass": 700}),
        }
    }

    words = " ".join(load_section(figures).split())

    assert "p95 of all requests -50% (600 against 1200 ms)" in words
    assert (
        "Serving under 5% of them, it cannot have made that difference, which is the machine's "
        "noise: **no, it does not earn its place**" in words
    )


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
