"""`{% url %}` as Django's tag writes it, each address from those kept (npq_portal/addresses.py).

A builtin (settings.TEMPLATES) loaded after Django's own, so every template's `{% url %}` is
this one: the same syntax (arguments, `name=value`, `as` a variable), the same address, the same
error for a name that does not reverse.
"""

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as djangos_url
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from npq_portal.addresses import address

register = template.Library()


class KeptURLNode(URLNode):
    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = address(view_name, args=args, kwargs=kwargs, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Django's `{% url %}`, parsed by Django, drawn by KeptURLNode."""
    node = djangos_url(parser, token)
    return KeptURLNode(node.view_name, node.args, node.kwargs, node.asvar)
