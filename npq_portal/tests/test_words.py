"""Staff see words, not codes: every status, outcome and kind is said in words on every page.

One place says them (npq_portal/words.py). The walk below builds the access matrix's hub, adds
a record of every funding outcome, override and email kind, opens every page a hub
administrator may open, and fails on a word_with_underscores in what the page shows.
"""

import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from dfe.models import Call, Sync
from funding.models import FundingDecision, FundingOverride
from funding.rules import OUTCOME_CODES, OVERRIDE_CODES
from funding.tests.test_funding_check import SCHOOL_FACTS
from npq_portal.emails import email_about_key
from npq_portal.models import EmailDelivery
from npq_portal.roles import Role
from npq_portal.tests.access import scenario_build
from npq_portal.tests.factories import StaffUserFactory, sign_in
from npq_portal.tests.test_access_matrix import MATRIX, OK, url_for
from npq_portal.words import VOCABULARIES, word
from reminders.email_samples import email_kinds

pytestmark = pytest.mark.django_db

SNAKE_CASE = re.compile(r"(?<![\w@./:=#-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/-])")
HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1>|<!--.*?-->", re.S | re.I)
TAG = re.compile(r"<[^>]+>")


def shown_text(page: str) -> str:
    """What a person reads: the text between tags, without scripts, styles and attributes."""
    return html.unescape(TAG.sub(" ", HIDDEN.sub(" ", page)))


def _every_code_in_use(s) -> None:
    """A decision with every outcome (overridden by each override), an email of every kind."""
    application = s.accepted
    for code in OUTCOME_CODES:
        decision = FundingDecision.objects.create(
            subject=email_about_key(application),
            rules="2026",
            facts={},
            status=code,
            funded=False,
            reason="As the rules say.",
        )
    for code in sorted(OVERRIDE_CODES):
        decision.override_status, decision.override_reason = code, "Hub policy."
        decision.overridden_at = timezone.now()
        decision.save()
        FundingOverride.objects.create(decision=decision, status=code, reason="Hub policy.")
    Application.objects.filter(pk=application.pk).update(funding_decision=decision)
    for kind in email_kinds():
        EmailDelivery.objects.create(
            recipient="someone@school.example",
            kind=kind,
            about=email_about_key(application),
            occasion="sequence-1",
            subject=f"About {kind.replace('_', ' ')}",
        )
    # The DfE sync log (issue 21): a call of every result, a pull of every list.
    now = timezone.now()
    for code in VOCABULARIES["dfe_call_result"]:
        status = int(code) if code.isdigit() else None
        Call.objects.create(
            connection=s.dfe_connection,
            at=now,
            method="GET",
            path="/api/v3/npq-applications",
            query="filter%5Bupdated_since%5D=2026-12-05T07%3A00%3A00Z&sort=-updated_at",
            status=status,
            failure="" if status else code,
            duration_ms=100,
        )
    for kind in Sync.Kind.values:
        Sync.objects.create(connection=s.dfe_connection, kind=kind, started_at=now)


def test_every_funding_outcome_and_email_kind_has_words():
    missing = [code for code in OUTCOME_CODES if code not in VOCABULARIES["funding_outcome"]]
    missing += [kind for kind in email_kinds() if kind not in VOCABULARIES["email_kind"]]

    assert not missing, f"say these in words in npq_portal/words.py: {missing}"


def test_a_code_without_words_is_still_shown_as_words():
    assert word("funding_outcome", "ineligible_establishment_not_a_pp50") == "Not on the PP50 list"
    assert word("email_kind", "a_kind_nobody_named") == "A kind nobody named"
    assert word("funding_outcome", "") == ""


def test_no_staff_page_shows_a_code_where_words_belong(client):
    s = scenario_build()
    _every_code_in_use(s)
    sign_in(client, s.people["hub_administrator"])
    pages = [name for name, row in MATRIX.items() if row.get["hub_administrator"] == OK]
    extra = [
        "/staff/applications/?funding=" + code for code in OUTCOME_CODES
    ]  # the queue filtered by each outcome shows its words in the filter and the rows

    codes = {}
    for url in [url_for(name, s) for name in pages] + extra:
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        found = sorted(set(SNAKE_CASE.findall(shown_text(response.content.decode()))))
        if found:
            codes[url] = found

    assert not codes, "codes shown where words belong:\n" + "\n".join(
        f"{url}: {', '.join(found)}" for url, found in codes.items()
    )


def test_what_a_rule_change_would_change_is_said_in_words(client):
    # Recorded as not funded, on facts the 2026 rules fund: the report says it would change.
    FundingDecision.objects.bulk_create(
        FundingDecision(
            subject=f"applications.application:{n}",
            rules="2026",
            facts=SCHOOL_FACTS,
            status="not_in_england",
            funded=False,
            reason="As the rules said then.",
        )
        for n in range(3)
    )
    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))

    page = client.get(reverse("funding:funding-what-changes") + "?rules=2026").content.decode()

    assert "Not working in England" in page
    assert not SNAKE_CASE.findall(shown_text(page))


def test_choice_words_says_what_get_foo_display_says_for_every_choice_of_every_model():
    from django.apps import apps

    from npq_portal.words import choice_words

    checked = 0
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not field.choices:
                continue
            instance = model.__new__(model)  # no __init__: only the one value is needed
            for value in [*(value for value, _ in field.flatchoices), "not-a-choice", None]:
                instance.__dict__[field.attname] = value
                expected = getattr(instance, f"get_{field.name}_display")()
                assert choice_words(instance, field.attname) == expected, (model, field, value)
                checked += 1
    assert checked > 100  # every status, outcome and kind in the portal
