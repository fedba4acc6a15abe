"""Confirmation before a destructive action (void, cancel, disable, remove, revoke…).

The button's form posts as it always did. Its view asks `ask_first(request, confirmation,
cancel_url=…)` before acting: without `confirmed=yes` in the post, the answer is a page
that says what will happen, with the same form (every posted field carried along) and
`confirmed=yes` added — so without JavaScript nothing destructive happens on one click.
With JavaScript, static/js/app.js opens a <dialog> of the page with the same words (the
button's data-confirm-* attributes, from `{% confirm_attrs confirmation %}`) and posts the
form with `confirmed=yes` itself: one page, no round trip.

The words are built once, in Python, next to the view (a `Confirmation`), and reach both
the page and the dialog from there.
"""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRMED_FIELD = "confirmed"
CONFIRMED_VALUE = "yes"
# Never carried into the confirmation page's form: the page writes its own.
NOT_CARRIED = {"csrfmiddlewaretoken", CONFIRMED_FIELD}


@dataclass(frozen=True)
class Confirmation:
    title: str  # the question: "Void INV-0007?"
    message: str  # what will happen, in full sentences
    label: str  # the confirming button: "Void invoice"


def is_confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRMED_FIELD) == CONFIRMED_VALUE


def ask_first(
    request: HttpRequest, confirmation: Confirmation, *, cancel_url: str
) -> HttpResponse | None:
    """None when the post was confirmed; else the page that asks (nothing has changed)."""
    if is_confirmed(request):
        return None
    carried = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in NOT_CARRIED
        for value in values
    ]
    return render(
        request,
        "partials/confirm_page.html",
        {"confirmation": confirmation, "carried": carried, "cancel_url": cancel_url},
    )
