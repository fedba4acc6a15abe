"""Staff list helpers: sortable column headers and the current page in a navigation.

{% sortable_th sorting "total" "Total" "num" %} renders a <th> whose link sorts the list by
that key (the other direction when it already does), keeping every other query parameter
(filters, search) and going back to page 1; aria-sort says the current order.

{% current_page "customers" %} gives ` aria-current="page"` when the request's path is in
that section of the staff navigation (see NAV_SECTIONS), else "".
"""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from solabooks.core.sorting import SORT_PARAM, Sorting

register = template.Library()

CURRENT = mark_safe(' aria-current="page"')  # a constant: nothing of the request in it


@register.simple_tag(takes_context=True)
def sortable_th(context, sorting: Sorting, key: str, label: str, css_class: str = ""):
    request = context["request"]
    params = request.GET.copy()
    params[SORT_PARAM] = sorting.param_for(key)
    params.pop("page", None)
    current = sorting.key == key
    direction = ("descending" if sorting.descending else "ascending") if current else ""
    arrow = ("▼" if sorting.descending else "▲") if current else ""
    return format_html(
        '<th{}{}><a class="sort{}" href="?{}">{}{}</a></th>',
        format_html(' class="{}"', css_class) if css_class else "",
        format_html(' aria-sort="{}"', direction) if direction else "",
        " sorted" if current else "",
        params.urlencode(),
        label,
        format_html(' <span aria-hidden="true">{}</span>', arrow) if arrow else "",
    )


DOCUMENT_SECTIONS = {
    "invoice": "invoices",
    "quote": "quotes",
    "sales_order": "sales_orders",
    "receipt": "receipts",
    "credit_note": "credit_notes",
}


# Section -> the URL its pages start with (name, args). Only the asked section is reversed.
NAV_SECTIONS = {
    "dashboard": ("dashboard", ()),
    "search": ("staff-search", ()),
    "customers": ("customer-list", ()),
    "invoices": ("document-list", ("invoice",)),
    "quotes": ("document-list", ("quote",)),
    "sales_orders": ("document-list", ("sales_order",)),
    "receipts": ("document-list", ("receipt",)),
    "credit_notes": ("document-list", ("credit_note",)),
    "payments": ("payment-list", ()),
    "projects": ("project-list", ()),
    "settings": ("organization-settings", ()),
    "account": ("staff-account", ()),
}


@register.simple_tag(takes_context=True)
def current_page(context, section: str) -> str:
    """The dashboard is its own path only; every other section is its list and the pages
    under it (a customer's page is in Customers, a payment's in Payments)."""
    request = context.get("request")
    if request is None:
        return ""
    name, args = NAV_SECTIONS[section]
    prefix = reverse(name, args=args)
    path = request.path
    document = context.get("document")
    if document is not None and path.startswith(reverse("document-detail", args=[document.pk])):
        # A document's own pages belong to the list of its kind.
        hit = DOCUMENT_SECTIONS.get(getattr(document, "kind", "")) == section
        return CURRENT if hit else ""
    hit = path == prefix if section == "dashboard" else path.startswith(prefix)
    return CURRENT if hit else ""
