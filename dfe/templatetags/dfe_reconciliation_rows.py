"""`{% disagreement_rows rows %}`: the reconciliation page's disagreements drawn in Python.

The page opens on its disagreements: 25 linked applications, a row for each thing the two
sides say differently, each with up to three forms (unlink, send the decision, acknowledge).
Drawn by the template engine, each row's variable look-ups, URLs and CSRF fields cost about a
fifth of a millisecond. Here each row is one string with the same HTML the template had: the
forms' addresses are reversed once a page, and every form carries the page's CSRF token.
"""

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils.html import conditional_escape as esc
from django.utils.safestring import mark_safe

from npq_portal.addresses import RowAddress, row_address

register = template.Library()


def _forms(context) -> dict[str, str | RowAddress]:
    """What every form of the page shares: its CSRF field, the page to come back to, and the
    addresses (each a function of the record's id)."""
    csrf = CsrfTokenNode().render(context)  # what {% csrf_token %} draws
    back = esc(context["request"].get_full_path())
    return {
        "csrf": csrf,
        "next": f'<input type="hidden" name="next" value="{back}">',
        "unlink": row_address("dfe:dfe-application-unlink"),
        "send": row_address("dfe:dfe-application-decision-send"),
        "acknowledge": row_address("dfe:disagreement-acknowledge"),
        "outgoing": reverse("dfe:outgoing-list"),
    }


def _row(row, forms: dict[str, str | RowAddress]) -> str:
    record = row.record
    application = record.application
    pk = str(record.pk)
    name = esc(record.full_name)
    shown = record.name_shown or application.applicant.get_full_name()
    opening = forms["csrf"] + forms["next"]
    open_ = row.open
    cells = []
    for index, found in enumerate(open_):
        head = ""
        if index == 0:
            head = (
                f'<th scope="row" rowspan="{len(open_)}" class="fw-normal">{esc(shown)}'
                f'<div class="small text-body-secondary">{esc(record.email)}</div>\n'
                f'        <div class="mt-1"><a href="{esc(application.get_absolute_url())}">'
                f'Open the application<span class="visually-hidden"> of {name}</span></a></div>\n'
                f'        <form method="post" action="{forms["unlink"](pk)}" '
                f'class="mt-1">{opening}<button type="submit" class="btn btn-link btn-sm p-0">'
                'Unlink, to link again<span class="visually-hidden"> DfE\'s application for '
                f"{name}</span></button></form>\n"
                "      </th>"
            )
        label = found.label
        if found.kind == "status" and row.decision_waiting:
            action = (
                "The portal's decision is waiting to be sent to DfE. "
                f'<a href="{forms["outgoing"]}">Changes owed to DfE</a>\n        '
            )
        else:
            action = ""
            if found.kind == "status" and row.decision_unsent:
                action = (
                    '<p class="small mb-1">Decided in the portal before it was linked: DfE has '
                    "not been told.</p>\n"
                    f'        <form method="post" action="{forms["send"](pk)}" '
                    f'class="mb-1">{opening}<button type="submit" class="btn btn-sm btn-primary">'
                    'Send the decision to DfE<span class="visually-hidden"> for '
                    f"{name}</span></button></form>"
                )
            action += (
                f'\n        <form method="post" action="{forms["acknowledge"](pk)}">'
                f'{opening}<input type="hidden" name="kind" value="{esc(found.kind)}">'
                '<button type="submit" class="btn btn-sm btn-outline-secondary">Acknowledge'
                f'<span class="visually-hidden"> the {esc(label.lower())} of {name}</span>'
                "</button></form>"
            )
        cells.append(
            f"<tr>\n      {head}\n"
            f"      <td>{esc(label)}</td>\n"
            f"      <td>{esc(found.portal)}</td>\n"
            f'      <td class="table-warning">{esc(found.dfe)}</td>\n'
            f"      <td>{action}</td>\n"
            "    </tr>"
        )
    return "\n    " + "".join(cells) + "\n  "


@register.simple_tag(takes_context=True)
def disagreement_rows(context, rows) -> str:
    """The <tr> of each open disagreement of each linked application (`linked_rows`, which
    selects what the rows show), the first of each application's naming it."""
    forms = _forms(context)
    return mark_safe("".join(_row(row, forms) for row in rows))
