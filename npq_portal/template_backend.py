"""Django's template backend, each page's context let go of as soon as the page is drawn.

A `RequestContext` holds its stack of dictionaries, and each dictionary pushed onto it
(`ContextDict`: the context processors' place, a view's context) holds the context back: a
reference cycle. Python frees such objects only when its cycle collector runs, so everything a
page's context reached (the view, its rows, model instances, forms) outlived the request and
was left for the collector, which then ran a few times a page and, every few hundred pages,
went through every object of the process: a tenth to a fifth of a signed-in page's time under
load (docs/performance.md). Emptying the stack once the page is drawn breaks the cycle, so
reference counting frees the page's objects at once, as it frees everything else; the page's
view, which refers to itself, is let go of likewise (`context_let_go`).
"""

from __future__ import annotations

from django.forms import BaseForm, BaseFormSet
from django.template import TemplateDoesNotExist
from django.template.backends import django as django_backend
from django.template.backends.django import reraise
from django.template.context import make_context


class DjangoTemplates(django_backend.DjangoTemplates):
    """Django's backend (settings TEMPLATES), its templates drawn by `Template` below."""

    def from_string(self, template_code):
        return Template(self.engine.from_string(template_code), self)

    def get_template(self, template_name):
        try:
            return Template(self.engine.get_template(template_name), self)
        except TemplateDoesNotExist as exc:
            reraise(exc, self)


class Template(django_backend.Template):
    """A template of the backend: drawn as Django draws it, its context emptied after."""

    def render(self, context=None, request=None):
        context = make_context(context, request, autoescape=self.backend.engine.autoescape)
        try:
            return self.template.render(context)
        except TemplateDoesNotExist as exc:
            reraise(exc, self.backend)
        finally:
            context_let_go(context)


def context_let_go(context) -> None:
    """Empty a drawn context's stack of dictionaries: nothing reads it once the page is drawn
    (the test client keeps its own copies), and each `ContextDict` on it refers back to it.

    The page's class-based view, which the context names, is let go of too: Django's
    `View.setup()` makes the view's `head` its own `get`, a method bound to the view, so each
    view refers to itself, and holds its request and what it read (`object`, `object_list`)
    past the request. The view is done with once its page is drawn.

    So are the page's forms' fields as drawn (`BoundField`s): a form keeps each it makes, and
    each refers back to its form, so a form drawn lived on, with its fields, widgets and
    choices, until the cycle collector came; the cache they are kept in is emptied (a form
    asked for a field again makes it afresh)."""
    view = context.get("view")
    for layer in context.dicts:
        for value in layer.values():
            # By its type, not isinstance(): that asks a lazy value (the dashboard's figures,
            # left unread when their drawing was kept) for its class, reading it.
            kind = type(value)
            if issubclass(kind, BaseForm):
                _form_let_go(value)
            elif issubclass(kind, BaseFormSet):
                for form in value.__dict__.get("forms", ()):
                    _form_let_go(form)
    context.dicts.clear()
    head = getattr(view, "__dict__", {}).get("head")
    if view is not None and getattr(head, "__self__", None) is view:
        del view.head


def _form_let_go(form: BaseForm) -> None:
    form.__dict__.get("_bound_fields_cache", {}).clear()
