"""Activity reads like a timeline (issue 15, item 6): browsers in words, repeated views as
one entry, sentences instead of doubled words, portal sign-ins off the dashboard, and the
raw IP and user agent one click away."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from solabooks.activity.models import Activity, ActorType, Verb
from solabooks.activity.timeline import activity_title, timeline
from solabooks.activity.useragent import summarize_user_agent
from tests.factories import make_document

CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    ("user_agent", "summary"),
    [
        (CHROME_MAC, "Chrome on macOS"),
        (SAFARI_IPHONE, "Safari on iOS"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox on Ubuntu",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
            "Samsung Internet on Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
            "Chrome on iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
            "Opera on Windows",
        ),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
            "Chrome on ChromeOS",
        ),
        (  # the demo's customer
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/17.5",
            "Safari on macOS",
        ),
        ("curl/8.5.0", "curl"),
        ("python-requests/2.32.3", "Python requests"),
        ("Mozilla/5.0 (Customer)", "Unknown browser"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "A bot"),
        ("", ""),
    ],
)
def test_user_agents_in_words(user_agent, summary):
    assert summarize_user_agent(user_agent) == summary


def row(verb, *, at, document_id=1, actor_label="link #3", user_agent=CHROME_MAC, **kw):
    return Activity(
        organization_id=1,
        document_id=document_id,
        customer_id=1,
        verb=verb,
        actor_type=kw.pop("actor_type", ActorType.LINK),
        actor_label=actor_label,
        ip="203.0.113.7",
        user_agent=user_agent,
        created_at=at,
        **kw,
    )


NOON = datetime.datetime(2026, 1, 15, 12, tzinfo=datetime.UTC)


def minutes(n: int) -> datetime.datetime:
    return NOON + datetime.timedelta(minutes=n)


def test_consecutive_views_by_the_same_actor_and_browser_are_one_entry():
    rows = [  # newest first, as pages read them
        row(Verb.VIEWED, at=minutes(9)),
        row(Verb.VIEWED, at=minutes(8)),
        row(Verb.VIEWED, at=minutes(7), user_agent=SAFARI_IPHONE),  # another browser
        row(Verb.VIEWED, at=minutes(6), document_id=2),  # another document
        row(Verb.SENT, at=minutes(5), details={"sent_to": "ana@example.test"}),
        row(Verb.VIEWED, at=minutes(4)),  # not consecutive with the first two
    ]
    entries = timeline(rows)
    assert [entry.count for entry in entries] == [2, 1, 1, 1, 1]
    assert entries[0].row is rows[0] and entries[0].rows == rows[:2]
    assert entries[0].browser == "Chrome on macOS"
    assert entries[1].browser == "Safari on iOS"


def test_titles_are_sentences():
    sent = row(Verb.SENT, at=NOON, details={"sent_to": "ana@example.test"})
    assert activity_title(sent) == "Sent to <bdi>ana@example.test</bdi>"
    changed = row(Verb.STATE_CHANGED, at=NOON, details={"from": "sent", "to": "accepted"})
    assert activity_title(changed) == "Status changed from Sent to Accepted"
    paid = row(Verb.STATE_CHANGED, at=NOON, details={"from": "sent", "to": "partially_paid"})
    assert activity_title(paid) == "Status changed from Sent to Partially paid"
    delivered = row(Verb.EMAIL_DELIVERED, at=NOON, details={"to": "<b>x@y.test</b>"})
    assert activity_title(delivered) == (
        "Email delivered to <bdi>&lt;b&gt;x@y.test&lt;/b&gt;</bdi>"  # escaped
    )
    assert activity_title(row(Verb.SENT, at=NOON)) == "Sent to customer"


# Pages ----------------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


def add(org, customer, verb, *, at, document=None, **kw) -> Activity:
    return Activity.objects.create(
        organization=org,
        customer=customer,
        document=document,
        verb=verb,
        actor_type=kw.pop("actor_type", ActorType.LINK),
        actor_label=kw.pop("actor_label", "link #3"),
        ip="203.0.113.7",
        user_agent=kw.pop("user_agent", CHROME_MAC),
        created_at=at,
        **kw,
    )


@pytestmark_db
def test_the_document_page_reads_like_a_timeline(owner_client, org, customer):
    org.time_zone = "America/Los_Angeles"
    org.save()
    document = make_document(customer=customer)
    add(
        org,
        customer,
        Verb.SENT,
        at=minutes(1),
        document=document,
        actor_type=ActorType.STAFF,
        actor_label="owner@acme.test",
        details={"sent_to": "ana@example.test", "from": "draft", "to": "sent"},
    )
    add(org, customer, Verb.VIEWED, at=minutes(3), document=document)
    add(org, customer, Verb.VIEWED, at=minutes(5), document=document)
    page = owner_client.get(reverse("document-detail", args=[document.pk])).content.decode()
    # 12:05 UTC is 04:05 in Los Angeles.
    assert "<strong>Viewed by customer</strong> · Chrome on macOS · 2 times, last 04:05 PST" in page
    assert "<strong>Sent to <bdi>ana@example.test</bdi></strong>" in page
    assert "Sent to customer to" not in page
    # The raw evidence is one click away, not in the line.
    assert page.count('<details class="evidence">') == 2
    assert "<summary>IP address and user agent (2)</summary>" in page
    assert f"<code>{CHROME_MAC}</code>" in page
    assert page.count(CHROME_MAC) == 3  # only inside the <details>


@pytestmark_db
def test_portal_sign_ins_stay_off_the_dashboard_but_not_the_customer(owner_client, org, customer):
    document = make_document(customer=customer)
    for n in range(20):
        add(
            org,
            customer,
            Verb.PORTAL_SIGNED_IN,
            at=minutes(10 + n),
            actor_type=ActorType.PORTAL,
            actor_label=customer.email,
        )
    add(
        org,
        customer,
        Verb.EMAIL_DELIVERED,
        at=minutes(40),
        document=document,
        actor_type=ActorType.SYSTEM,
        details={"to": "ana@example.test"},
    )
    add(
        org,
        customer,
        Verb.EMAIL_FAILED,
        at=minutes(41),
        document=document,
        actor_type=ActorType.SYSTEM,
        details={"to": "ana@example.test"},
    )
    dashboard = owner_client.get(reverse("dashboard"))
    titles = [str(entry.title) for entry in dashboard.context["recent_activity"]]
    assert "Signed in to the customer portal" not in titles
    # A delivery only confirms the send; a failure is news.
    assert "Email to <bdi>ana@example.test</bdi> could not be delivered" in titles
    assert not any(title.startswith("Email delivered") for title in titles)
    assert "Created" in titles  # the document's creation is still news
    mine = owner_client.get(reverse("customer-activity", args=[customer.pk])).content.decode()
    assert "Signed in to the customer portal</strong>" in mine
    assert "20 times" in mine  # consecutive sign-ins are one entry
    assert document.number in mine


@pytestmark_db
def test_customer_activity_queries_do_not_grow_with_rows(owner_client, org, customer):
    url = reverse("customer-activity", args=[customer.pk])
    documents = [make_document(customer=customer) for _ in range(3)]
    owner_client.get(url)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for n in range(40):
        add(
            org,
            customer,
            Verb.VIEWED,
            at=minutes(n),
            document=documents[n % 3],
            user_agent=SAFARI_IPHONE if n % 2 else CHROME_MAC,
        )
    assert queries() == few
