"""{% export_links "applications" %}: a list page's Download CSV and Download Excel buttons,
carrying the page's filters, shown only to people who may export that list.

Drawn in Python, not by an included template: a list page draws one or two of them, and an
included template's own context and drawing cost more than the links (a tenth of a ms each).
Their addresses are kept (npq_portal/addresses.py).
"""

from urllib.parse import urlencode

from django import template
from django.utils.html import format_html, format_html_join

from npq_portal.addresses import address
from reports.datasets import DATASETS
from reports.models import Export

register = template.Library()


@register.simple_tag(takes_context=True)
def export_links(context, kind: str, label: str = "", compact: bool = False, **extra) -> str:
    """Links to export `kind` with the filters of the page's query string, and `extra`
    filters the page shows in its path or by default (e.g. cohort=cohort.pk). A compact pair
    (in a table's row) shows its label to screen readers only."""
    request = context["request"]
    dataset = DATASETS[kind]
    if not request.user.has_perm(dataset.permission):
        return ""
    filters = dataset.filters_from(request.GET)
    filters.update({key: str(value) for key, value in extra.items() if value not in (None, "")})
    query = urlencode(filters)
    label = label or dataset.title
    links = format_html_join(
        "",
        '<a class="btn btn-sm btn-outline-secondary" href="{}">Download {}'
        '<span class="visually-hidden"> of {}</span></a>',
        (
            (
                address(
                    "reports:export-create", kwargs={"kind": kind, "file_format": file_format.value}
                )
                + (f"?{query}" if query else ""),
                file_format.label,
                label,
            )
            for file_format in Export.Format
        ),
    )
    if compact:
        return format_html(
            '<div class="export-links d-flex flex-wrap align-items-center gap-2">{}</div>', links
        )
    return format_html(
        '<div class="export-links d-flex flex-wrap align-items-center gap-2 mb-3">'
        '<span class="small text-body-secondary">{}:</span>{}</div>',
        label,
        links,
    )
