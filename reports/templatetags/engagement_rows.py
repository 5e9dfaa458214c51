"""The Work Group engagement pages' long tables drawn in Python: `{% engagement_rows rows
choice.programme %}` (the roster's 50 rows of nine cells) and `{% grant_rows object_list %}`
(the grants' 25 rows, each with two forms). Drawn by the template engine they cost more than
the rest of their pages; here each row is one string, with the same HTML the templates had.
"""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.template.defaulttags import CsrfTokenNode
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from npq_portal.addresses import RowAddress, row_address
from npq_portal.escaping import escape
from npq_portal.money import pounds
from npq_portal.templatetags.dates import day_month_year
from npq_portal.words import choice_words

register = template.Library()


def day(value) -> str:
    """A day as the templates' `date:"j M Y"|default:"–"` drew it ("5 Nov 2025", "–" for
    none)."""
    return day_month_year(value) if value else "–"


def _row(row, programme_shown: bool) -> str:
    programme = f"<td>{escape(row.programme)}</td>" if programme_shown else ""
    return (
        f"\n      <tr><td>{row.urn}</td>"
        f'<th scope="row" class="fw-normal">{escape(row.school)}</th>'
        f"<td>{escape(row.local_authority)}</td>{programme}<td>{escape(row.cohort)}</td>"
        f"<td>{day(row.signed_up_on)}</td><td>{escape(row.status_label)}</td>"
        f"<td>{day(row.completed_on)}</td><td>{day(row.withdrawn_on)}</td></tr>\n    "
    )


@register.simple_tag
def engagement_rows(rows, programme) -> str:
    """One <tr> a roster row (RosterLine, from roster_standing's lines); with no programme chosen
    (every Work Group's roster) each row names its programme."""
    return mark_safe("".join(_row(row, programme is None) for row in rows))


# ---- Grants owed to schools ----


def _claim_actions(claim, school: str, update: RowAddress, hidden: str) -> str:
    """Mark a claim received (owed) or paid (claimed), or cancel it, as forms; "–" when there
    is nothing to do or the person may not."""
    pk = str(claim.pk)
    action = update(pk)
    if claim.status == "owed":
        button = (
            '<button type="submit" name="action" value="claimed" class="btn btn-sm btn-primary">'
            f'Mark claim received<span class="visually-hidden"> from {school}</span></button>'
        )
    else:
        button = (
            '<button type="submit" name="action" value="paid" class="btn btn-sm btn-primary">'
            f'Mark paid<span class="visually-hidden"> to {school}</span></button>'
        )
    return (
        f'\n        <form method="post" action="{action}" class="mb-1">{hidden}'
        f"\n          {button}"
        "\n        </form>"
        '\n        <details><summary class="small">Cancel</summary>'
        f'\n          <form method="post" action="{action}" class="mt-1">{hidden}'
        '<input type="hidden" name="action" value="cancelled">'
        f'\n            <label for="cancel-{pk}" class="form-label small mb-0">Why</label>'
        f'\n            <input id="cancel-{pk}" name="reason" '
        'class="form-control form-control-sm mb-1" required maxlength="1000">'
        '\n            <button type="submit" class="btn btn-sm btn-outline-danger">Cancel the grant'
        f'<span class="visually-hidden"> to {school}</span></button>'
        "\n          </form>"
        "\n        </details>"
        "\n      "
    )


def _claim_row(claim, may_change: bool, update: RowAddress, hidden: str) -> str:
    place = claim.school_place
    cohort = place.cohort
    school = escape(place.school.name)
    note = (
        f'<div class="small text-body-secondary">{linebreaksbr(claim.note)}</div>'
        if claim.note
        else ""
    )
    acts = may_change and claim.status in ("owed", "claimed")
    return (
        "\n    <tr>"
        f'\n      <th scope="row" class="fw-normal">{school}'
        f'<div class="small text-body-secondary">{escape(claim.purpose)}</div></th>'
        f"\n      <td>{place.school.urn}</td>"
        f"\n      <td>{escape(cohort.programme.short_name)} "
        f"{escape(cohort.academic_year_label)}, {escape(cohort.name)}</td>"
        f'\n      <td class="text-end">{escape(pounds(claim.amount))}</td>'
        f"\n      <td>{escape(choice_words(claim, 'status'))}{note}</td>"
        f"\n      <td>{day(claim.claimed_on)}</td>"
        f"\n      <td>{day(claim.paid_on)}</td>"
        f"\n      <td>{_claim_actions(claim, school, update, hidden) if acts else '–'}</td>"
        "\n    </tr>\n  "
    )


@register.simple_tag(takes_context=True)
def grant_rows(context, claims) -> str:
    """One <tr> a grant claim (with its school place's school and cohort's programme), with
    the forms that move it on for someone who may change claims; each form comes back to
    this page as it is."""
    request = context["request"]
    may_change = request.user.has_perm("participants.change_grantclaim")
    update = row_address("reports:grant-claim-update")
    # What {% csrf_token %} and the return address drew in each form, worked out once.
    hidden = CsrfTokenNode().render(context) + format_html(
        '<input type="hidden" name="next" value="{}">', request.get_full_path()
    )
    return mark_safe("".join(_claim_row(claim, may_change, update, hidden) for claim in claims))
