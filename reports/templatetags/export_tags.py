"""{% export_links "applications" %}: a list page's Download CSV and Download Excel buttons,
carrying the page's filters, shown only to people who may export that list."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from reports.datasets import DATASETS
from reports.models import Export

register = template.Library()


@register.inclusion_tag("reports/includes/_export_links.html", takes_context=True)
def export_links(context, kind: str, label: str = "", compact: bool = False, **extra):
    """Links to export `kind` with the filters of the page's query string, and `extra`
    filters the page shows in its path or by default (e.g. cohort=cohort.pk). A compact pair
    (in a table's row) shows its label to screen readers only."""
    request = context["request"]
    dataset = DATASETS[kind]
    if not request.user.has_perm(dataset.permission):
        return {"links": []}
    filters = dataset.filters_from(request.GET)
    filters.update({key: str(value) for key, value in extra.items() if value not in (None, "")})
    query = urlencode(filters)
    links = [
        (
            file_format.label,
            reverse(
                "reports:export-create", kwargs={"kind": kind, "file_format": file_format.value}
            )
            + (f"?{query}" if query else ""),
        )
        for file_format in Export.Format
    ]
    return {"links": links, "label": label or dataset.title, "compact": compact}
