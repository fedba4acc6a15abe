"""`{% confirm_attrs confirmation %}` on a destructive submit button: the words of the
dialog static/js/app.js opens before the form posts (see solabooks/core/confirm.py)."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def confirm_attrs(confirmation) -> str:
    if confirmation is None:
        return ""
    return format_html(
        ' data-confirm="{}" data-confirm-title="{}" data-confirm-label="{}"',
        confirmation.message,
        confirmation.title,
        confirmation.label,
    )
