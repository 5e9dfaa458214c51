"""Template tags other apps' pages load to show how the exchange with DfE stands, without
their Python importing dfe."""

from django import template

from dfe.connection import sync_failing_since

register = template.Library()


@register.inclusion_tag("dfe/includes/_sync_banner.html", takes_context=True)
def dfe_sync_banner(context) -> dict:
    """A warning when pulling from DfE has failed for more than a day (`DFE["failing_after"]`),
    for whoever exchanges with DfE; nothing, and no query, for anyone else."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("dfe.exchange_with_dfe"):
        return {"failing_since": None}
    return {"failing_since": sync_failing_since()}
