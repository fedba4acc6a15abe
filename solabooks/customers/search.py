"""The staff header's search: customers by name or email, documents by number or customer
name, in the current business only.

One query per kind (plus the documents' count for paging), through the scoped managers, so
the cost does not grow with the rows found. What people type is cleaned, not refused: NUL
and other control characters become spaces, runs of space one, and it is cut to MAX_QUERY
characters; `icontains` escapes % and _, so they match themselves.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from solabooks.documents.models import Document

from .models import Customer

MAX_QUERY = 100
CUSTOMERS_SHOWN = 10


def clean_query(raw: str | None) -> str:
    text = "".join(ch if ch.isprintable() else " " for ch in (raw or ""))
    return " ".join(text.split())[:MAX_QUERY].strip()


@dataclass(frozen=True)
class CustomerMatches:
    rows: list[Customer]
    more: bool  # more than CUSTOMERS_SHOWN matched: the page links to the customer list


def matching_customers(*, organization, query: str) -> CustomerMatches:
    """The first CUSTOMERS_SHOWN customers by name, in one query (one row more tells
    whether there are others)."""
    rows = list(
        Customer.objects.for_org(organization)
        .filter(Q(name__icontains=query) | Q(email__icontains=query))
        .order_by("name", "id")[: CUSTOMERS_SHOWN + 1]
    )
    return CustomerMatches(rows=rows[:CUSTOMERS_SHOWN], more=len(rows) > CUSTOMERS_SHOWN)


def matching_documents(*, organization, query: str) -> QuerySet[Document]:
    """Documents of every kind whose number or customer's name contains `query`, newest
    first, with their customer joined (the page names it: no query per row)."""
    return (
        Document.objects.for_org(organization)
        .filter(Q(number__icontains=query) | Q(customer__name__icontains=query))
        .select_related("customer")
        .order_by("-issue_date", "-id")
    )
