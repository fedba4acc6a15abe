"""A document's state as a badge, through documents/overdue.py (the one overdue rule).

`{% state_badge document %}` on staff pages ("Overdue · 12 days"), `{% customer_state_badge
document %}` on customer pages and the PDF ("Due", "Overdue", "Paid"). Today is the
business's (`today` in the context if the view gave one, else `organization.today()`, once
per render).
"""

import datetime

from django import template
from django.utils.html import format_html

from solabooks.documents import overdue

register = template.Library()


def _today(context) -> datetime.date:
    if context.get("today"):
        return context["today"]
    memo = context.render_context
    if "overdue_today" not in memo:
        memo["overdue_today"] = context["organization"].today()
    return memo["overdue_today"]


def _badge(label: overdue.StateLabel):
    return format_html('<span class="badge state-{}">{}</span>', label.css, label.text)


@register.simple_tag(takes_context=True)
def state_badge(context, document):
    return _badge(overdue.staff_state_label(document, _today(context)))


@register.simple_tag(takes_context=True)
def customer_state_badge(context, document):
    return _badge(overdue.customer_state_label(document, _today(context)))


@register.simple_tag(takes_context=True)
def days_overdue(context, document) -> int:
    return overdue.days_overdue(document, _today(context))
