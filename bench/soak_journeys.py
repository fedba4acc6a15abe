"""What the soak's simulated people do, each journey a function of (world, browser).

The journeys use the product as people do: forms with their CSRF tokens, links taken from
the emails the SMTP sink received, the API with a key made on the settings page. A journey
that finds the product in an unexpected state records it as a failed step and ends; the
accounting decides whether that happened inside a fault window.
"""

from __future__ import annotations

import email
import email.policy
import random
import re
import threading
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from bench.soak_client import Browser, Recorder, Response

DEMO_PASSWORD = "demo-password"  # noqa: S105 (seeded by seed_demo for the demo business)
STAFF = "owner@demo.test"
PORTAL_ACCOUNT = "billing.harborlights@example.test"
LINK = re.compile(r"https?://[^\s\"'<>]+/finance/(i|q)/[A-Za-z0-9_\-]{16,}")
API = "/finance/api/v1"


@dataclass
class World:
    """What the journeys share: the URL, links harvested from the sink, the API key."""

    url: str
    sink_dir: Path
    recorder: Recorder
    api_key: str = ""
    invoice_links: list[str] = field(default_factory=list)
    quote_links: list[str] = field(default_factory=list)  # each decided once, then dropped
    seen_files: set[str] = field(default_factory=set)
    customer_ids: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def harvest(self) -> int:
        """Read the sink's new messages; keep the customer links they carry."""
        found = 0
        for path in sorted((self.sink_dir / "messages").glob("*.eml")):
            if path.name in self.seen_files:
                continue
            self.seen_files.add(path.name)
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            for match in LINK.finditer(text):
                link = match.group(0)
                self.recorder.secret(link.rsplit("/", 1)[1])
                with self.lock:
                    (self.quote_links if match.group(1) == "q" else self.invoice_links).append(link)
                found += 1
        return found

    def an_invoice_link(self) -> str | None:
        with self.lock:
            return random.choice(self.invoice_links[-200:]) if self.invoice_links else None

    def a_quote_link(self) -> str | None:
        with self.lock:
            return self.quote_links.pop() if self.quote_links else None


def expect(browser: Browser, response: Response, *statuses: int) -> bool:
    """True for an expected answer. A refusal (4xx) where the journey expected success is a
    wrong answer for the accounting; 5xx and no answer are judged by the fault windows."""
    if response.status in statuses:
        return True
    if 400 <= response.status < 500:
        browser.recorder.add_problem(
            f"{browser.journey}: {response.url.split('?')[0][:60]} answered {response.status}"
        )
    return False


def sign_in_staff(browser: Browser, email_address: str = STAFF, password: str = DEMO_PASSWORD):
    page = browser.get("/finance/login/", step="staff login form")
    answer = browser.submit(page, step="staff sign-in", email=email_address, password=password)
    return expect(browser, answer, 302), answer


def sign_in_portal(browser: Browser) -> bool:
    page = browser.get("/finance/customer-portal/login", step="portal login form")
    answer = browser.submit(
        page,
        step="portal sign-in",
        action="customer-portal/login",
        email=PORTAL_ACCOUNT,
        password=DEMO_PASSWORD,
    )
    return expect(browser, answer, 302)


def create_document(browser: Browser, kind: str) -> str | None:
    """Through the staff editor: a new invoice or quote for a random customer. Its path."""
    page = browser.get(f"/finance/documents/{kind}/new/", step=f"new {kind} form")
    if page.status != 200:
        return None
    from bench.soak_client import find_form

    form = find_form(page.text, "")
    customers = [c for c in (form.select_options.get("customer", []) if form else []) if c]
    if not customers:
        return None
    answer = browser.submit(
        page,
        step=f"create {kind}",
        customer=random.choice(customers),
        lines__0__description=f"Soak work {uuid.uuid4().hex[:6]}",
        lines__0__quantity=str(random.randint(1, 5)),
        lines__0__unit_price=str(Decimal(random.randint(1000, 90000)) / 100),
    )
    return answer.location if expect(browser, answer, 302) else None


def send_document(browser: Browser, document_path: str) -> bool:
    page = browser.get(document_path, step="document page")
    if page.status != 200:
        return False
    answer = browser.submit(page, step="send", action="/send/")
    return expect(browser, answer, 302)


def staff_journey(world: World, browser: Browser) -> None:
    """A member signs in, looks around, writes an invoice or a quote and sends it."""
    ok, _ = sign_in_staff(browser)
    if not ok:
        return
    browser.get("/finance/", step="dashboard")
    kind = random.choice(["invoice", "invoice", "quote"])
    browser.get(f"/finance/documents/{kind}/", step=f"{kind} list")
    path = create_document(browser, kind)
    if path:
        send_document(browser, path)
    page = browser.get("/finance/", step="dashboard")
    browser.submit(page, step="sign out", action="/logout/")


def link_journey(world: World, browser: Browser) -> None:
    """A customer opens an emailed invoice link and downloads the PDF."""
    link = world.an_invoice_link()
    if link is None:
        return
    page = browser.get(link, step="link page")
    if page.status == 200:
        browser.get(link + "?format=pdf", step="link pdf")


def quote_journey(world: World, browser: Browser) -> None:
    """A customer opens an emailed quote and accepts or declines it."""
    link = world.a_quote_link()
    if link is None:
        return link_journey(world, browser)
    page = browser.get(link, step="quote page")
    if page.status != 200 or 'value="accept"' not in page.text:
        return
    if random.random() < 0.7:
        decided = browser.submit(
            page,
            step="accept",
            op="accept",
            accept__signer_name="Soak Signer",
            accept__agree_terms="on",
        )
    else:
        decided = browser.submit(
            page, step="decline", op="decline", decline__reason="Not this time (soak)."
        )
    expect(browser, decided, 302, 200)


def portal_journey(world: World, browser: Browser) -> None:
    """The portal customer signs in and reads their documents."""
    if not sign_in_portal(browser):
        return
    browser.get("/finance/customer-portal/", step="portal dashboard")
    listing = browser.get("/finance/customer-portal/invoices/", step="portal invoices")
    documents = re.findall(r'href="(/finance/customer-portal/documents/\d+/)"', listing.text)
    if documents:
        document = random.choice(documents)
        browser.get(document, step="portal document")
        browser.get(document + "pdf/", step="portal pdf")
    page = browser.get("/finance/customer-portal/", step="portal dashboard")
    browser.submit(page, step="portal sign out", action="/logout/")


def api_journey(world: World, browser: Browser) -> None:
    """An integration lists, creates (with an Idempotency-Key, sent twice) and sends."""
    if not world.api_key or not world.customer_ids:
        return
    auth = {"Authorization": f"Bearer {world.api_key}"}
    browser.get(f"{API}/documents/?kind=invoice", step="api list", headers=auth)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {
        "kind": "invoice",
        "customer": random.choice(world.customer_ids),
        "lines": [{"description": "API soak line", "quantity": "2", "unit_price": "45.50"}],
    }
    created = browser.request(
        "POST", f"{API}/documents/", step="api create", json=body, headers={**auth, **key}
    )
    again = browser.request(
        "POST", f"{API}/documents/", step="api create replay", json=body, headers={**auth, **key}
    )
    if not expect(browser, created, 201):
        return
    if again.status != 201 or again.json().get("id") != created.json().get("id"):
        world.recorder.add_problem(
            f"Idempotency-Key replay answered {again.status} with another document"
        )
    document_id = created.json()["id"]
    sent = browser.request(
        "POST",
        f"{API}/documents/{document_id}/send",
        step="api send",
        json={},
        headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
    )
    expect(browser, sent, 202)


JOURNEYS = {
    "customer link": (link_journey, 40),
    "portal": (portal_journey, 15),
    "staff create and send": (staff_journey, 15),
    "api": (api_journey, 15),
    "quote decision": (quote_journey, 15),
}


def pick_journey():
    names = list(JOURNEYS)
    weights = [JOURNEYS[name][1] for name in names]
    name = random.choices(names, weights)[0]
    return name, JOURNEYS[name][0]


def make_api_key(world: World) -> None:
    """The owner makes an API key on the settings page (shown once) for the API journeys."""
    browser = Browser(world.url, world.recorder, "setup")
    ok, _ = sign_in_staff(browser)
    if not ok:
        raise SystemExit("The soak could not sign in as the demo owner.")
    page = browser.get("/finance/settings/api-keys/", step="api keys")
    answer = browser.submit(page, step="create api key", name="Soak")
    if answer.status == 302:
        answer = browser.get(answer.location, step="api keys")
    match = re.search(r'id="new-api-key"[^>]*value="([^"]+)"', answer.text)
    if not match:
        raise SystemExit("No API key was shown after creating one.")
    world.api_key = match.group(1)
    world.recorder.secret(world.api_key)
    customers = browser.get(
        f"{API}/customers/",
        step="api customers",
        headers={"Authorization": f"Bearer {world.api_key}"},
    )
    world.customer_ids = [c["id"] for c in customers.json().get("results", [])]


def prime_links(world: World, *, invoices: int, quotes: int) -> None:
    """Send some invoices and quotes first, so links exist before the load starts."""
    browser = Browser(world.url, world.recorder, "setup")
    sign_in_staff(browser)
    for kind, count in (("invoice", invoices), ("quote", quotes)):
        for _ in range(count):
            path = create_document(browser, kind)
            if path is None or not send_document(browser, path):
                raise SystemExit(f"Setting up: could not create and send a {kind}.")


def response_ok(response: Response) -> bool:
    return 200 <= response.status < 400
