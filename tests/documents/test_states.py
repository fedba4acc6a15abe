"""The one table of what may happen to a document (documents/states.py), checked row by
row: every allowed move works and records its Activity, a sample of refused ones say why,
staff marking a quote accepted meets the customer's checks, and the database keeps every
kind within its own states."""

import datetime
from decimal import Decimal
from functools import partial

import pytest
from django.db import IntegrityError, transaction

from solabooks.activity.models import Activity
from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError, InvalidTransition
from solabooks.documents import states
from solabooks.documents.models import STATES_BY_KIND, Document, Kind
from solabooks.documents.quote_decisions import decide_quote
from solabooks.documents.services import lock_document, transition_document
from solabooks.documents.states import BY_PAYMENTS, TRANSITIONS
from tests.factories import make_document

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system()
TODAY_PLUS = datetime.timedelta(days=10)

MOVES = [
    (kind, action, from_state, to_state)
    for kind, actions in TRANSITIONS.items()
    for action, transition in actions.items()
    for from_state, to_state in transition.moves.items()
]


def document_in(customer, kind: str, state: str, **fields) -> Document:
    """A document of `kind` in `state`, as the row lock reads it."""
    document = make_document(customer=customer, kind=kind, state=state)
    if fields:
        Document.objects.filter(pk=document.pk).update(**fields)
    return lock_document(document)


def facts_for(document: Document, action: str) -> dict:
    """What a caller knows when the move is allowed: the version shown, a signer's name."""
    return {"shown_version": document.content_version, "signer_name": "Jane Baker"}


@pytest.mark.parametrize(
    "kind,action,from_state,to_state", MOVES, ids=["-".join(move) for move in MOVES]
)
def test_every_allowed_move_works_and_records_its_activity(
    customer, kind, action, from_state, to_state
):
    today = customer.organization.today()
    fields = {}
    if kind == Kind.QUOTE:
        # Past its date for the daily expiry, within it for everything else.
        past = action == "expire"
        fields["valid_until"] = today - datetime.timedelta(days=1) if past else today + TODAY_PLUS
    document = document_in(customer, kind, from_state, **fields)
    if to_state == BY_PAYMENTS:
        document.amount_paid = document.total / 2
        to_state = "partially_paid"
    before = Activity.objects.filter(document=document).count()
    with transaction.atomic():
        moved = states.apply(
            document,
            action,
            actor=SYSTEM,
            fields=("amount_paid",) if action == "pay" else (),
            **facts_for(document, action),
        )
    assert moved.state == to_state
    assert Document.objects.get(pk=document.pk).state == to_state
    rows = Activity.objects.filter(document=document).order_by("pk")
    assert rows.count() == before + 1
    latest = rows.last()
    assert latest.verb == TRANSITIONS[kind][action].verb
    assert latest.details == {"from": from_state, "to": to_state}


@pytest.mark.parametrize(
    "kind,state,action,message,code",
    [
        ("invoice", "paid", "void", "INV-0001 is paid; it cannot be moved to void.", None),
        ("invoice", "draft", "pay", "INV-0001 is a draft. Send it or mark it as sent first.", None),
        ("invoice", "void", "pay", "INV-0001 is not an open invoice.", "invalid"),
        ("invoice", "void", "send", "INV-0001 is void; it can no longer be sent.", "invalid"),
        ("invoice", "paid", "edit", "A paid invoice can no longer be edited.", None),
        ("quote", "sent", "pay", "QUO-0001 is not an open invoice.", "invalid"),
        ("quote", "accepted", "accept", "already been accepted; the decision is final", None),
        ("quote", "declined", "decline", "already been declined", "already_decided"),
        ("quote", "expired", "accept", "is expired and can no longer be accepted", "not_open"),
        ("quote", "draft", "mark_accepted", "QUO-0001 is draft; it cannot be moved to", None),
        ("quote", "sent", "convert", "Only an accepted quote can be converted.", None),
        ("invoice", "sent", "accept", "Only quotes can be accepted or declined.", "invalid"),
        ("invoice", "draft", "convert", "Only quotes can be converted.", "invalid"),
        ("sales_order", "cancelled", "send", "is cancelled; it can no longer be sent", None),
        (
            "sales_order",
            "fulfilled",
            "cancel",
            "is fulfilled; it cannot be moved to cancelled",
            None,
        ),
        ("receipt", "issued", "void", "“void” is not something a receipt can do.", None),
        ("credit_note", "issued", "void", "“void” is not something a credit note can do.", None),
        ("credit_note", "issued", "edit", "An issued credit note can no longer be edited.", None),
        ("credit_note", "issued", "pay", "CN-0001 is not an open invoice.", "invalid"),
        ("quote", "sent", "fly", "“fly” is not something a quote can do.", None),
    ],
)
def test_refused_moves_say_why_and_change_nothing(customer, kind, state, action, message, code):
    document = document_in(customer, kind, state)
    before = Activity.objects.filter(document=document).count()
    with pytest.raises(InvalidTransition) as refused, transaction.atomic():
        states.apply(document, action, actor=SYSTEM, **facts_for(document, action))
    assert message in refused.value.message
    if code:
        assert refused.value.code == code
    assert Document.objects.get(pk=document.pk).state == state
    assert Activity.objects.filter(document=document).count() == before


def test_a_staff_button_is_only_a_staff_action(customer):
    """Staff (and API keys) name buttons; sending, paying and the customer's decision
    are other services' moves, even where the state would allow them."""
    quote = make_document(customer=customer, kind="quote", state="sent")
    for action in ("accept", "decline", "send", "expire", "convert", "edit"):
        with pytest.raises(InvalidTransition, match="is not something a quote can do"):
            transition_document(document=quote, action=action, actor=SYSTEM)
    quote.refresh_from_db()
    assert quote.state == "sent"
    assert states.STAFF_ACTIONS == [
        "cancel", "confirm", "fulfil", "mark_accepted", "mark_declined", "mark_expired",
        "mark_sent", "void",
    ]  # fmt: skip


# Staff recording the customer's decision ---------------------------------------------------


def test_staff_decisions_run_the_customers_checks_except_those_waived_with_a_reason():
    for kind, actions in TRANSITIONS.items():
        for transition in actions.values():
            if not transition.on_behalf_of:
                continue
            customers = TRANSITIONS[kind][transition.on_behalf_of]
            assert transition.moves == customers.moves
            checked = set(states.guards_of(transition, kind))
            assert checked | set(transition.waived) == set(customers.guards) | set(
                transition.guards
            )
            assert all(reason.strip() for reason in transition.waived.values())
    accept = TRANSITIONS[Kind.QUOTE]["mark_accepted"]
    assert states.WITHIN_VALIDITY in states.guards_of(accept, Kind.QUOTE)


def test_staff_cannot_mark_accepted_a_quote_past_its_date_any_more_than_the_customer(customer):
    quote = make_document(customer=customer, kind="quote", state="sent")
    yesterday = customer.organization.today() - datetime.timedelta(days=1)
    Document.objects.filter(pk=quote.pk).update(valid_until=yesterday)
    customer_accepts = partial(decide_quote, decision="accept", signer_name="Jane", reason="")
    with pytest.raises(DomainError) as customers:
        customer_accepts(document=quote, seen_version=quote.content_version, actor=SYSTEM)
    with pytest.raises(InvalidTransition) as staffs:
        transition_document(document=quote, action="mark_accepted", actor=SYSTEM)
    for refusal in (customers.value, staffs.value):
        assert refusal.code == "quote_expired"
        assert f"valid until {yesterday:%d %b %Y}" in refusal.message
        assert "can no longer be accepted" in refusal.message
    quote.refresh_from_db()
    assert quote.state == "sent"
    # Declining a quote past its date stays possible, for both.
    transition_document(document=quote, action="mark_declined", actor=SYSTEM)
    quote.refresh_from_db()
    assert quote.state == "declined"


def test_the_valid_until_date_is_the_last_day_staff_can_mark_it_accepted(customer):
    quote = make_document(customer=customer, kind="quote", state="sent")
    Document.objects.filter(pk=quote.pk).update(valid_until=customer.organization.today())
    assert transition_document(document=quote, action="mark_accepted", actor=SYSTEM).state == (
        "accepted"
    )


def test_the_page_offers_mark_accepted_and_says_why_it_is_refused(owner_client, customer):
    quote = make_document(customer=customer, kind="quote", state="sent")
    Document.objects.filter(pk=quote.pk).update(valid_until=datetime.date(2020, 1, 1))
    page = owner_client.get(f"/finance/document/{quote.pk}/").content.decode()
    assert "Mark accepted" in page
    answer = owner_client.post(
        f"/finance/document/{quote.pk}/state/", {"action": "mark_accepted"}, follow=True
    )
    assert "was valid until 01 Jan 2020 and can no longer be accepted" in answer.content.decode()


# The table against the data model ---------------------------------------------------------


def _targets(transition) -> set[str]:
    """Where a transition can lead (BY_PAYMENTS: any of the payment states)."""
    targets = set(transition.moves.values())
    if BY_PAYMENTS in targets:
        targets = targets - {BY_PAYMENTS} | {"sent", "partially_paid", "paid"}
    return targets


def test_the_table_uses_only_each_kinds_own_states_and_reaches_them_all():
    for kind, actions in TRANSITIONS.items():
        own = set(STATES_BY_KIND[kind])
        for transition in actions.values():
            assert set(transition.moves) <= own
            assert _targets(transition) <= own
        # Every state of the kind can be reached from a new document.
        reached = {states.INITIAL_STATE[kind]}
        while (
            more := {
                to
                for transition in actions.values()
                if reached & set(transition.moves)
                for to in _targets(transition)
            }
            - reached
        ):
            reached |= more
        assert reached == own, kind


def test_a_dead_document_is_one_that_can_no_longer_be_sent():
    for kind, actions in TRANSITIONS.items():
        unsendable = set(STATES_BY_KIND[kind]) - set(actions["send"].moves)
        assert unsendable == set(STATES_BY_KIND[kind]) & states.DEAD_STATES


@pytest.mark.parametrize("kind,state", [("quote", "paid"), ("receipt", "draft"),
                                        ("invoice", "accepted"), ("sales_order", "sent"),
                                        ("credit_note", "draft"), ("credit_note", "void")])  # fmt: skip
def test_the_database_keeps_each_kind_within_its_own_states(customer, kind, state):
    document = make_document(customer=customer, kind=kind)
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(state=state)


def test_apply_runs_only_inside_the_callers_transaction(customer):
    document = make_document(customer=customer)
    connection = transaction.get_connection()
    atomic = connection.in_atomic_block
    connection.in_atomic_block = False  # as outside any transaction
    try:
        with pytest.raises(RuntimeError, match="inside the caller's transaction"):
            states.apply(document, "mark_sent", actor=SYSTEM)
    finally:
        connection.in_atomic_block = atomic
    assert Document.objects.get(pk=document.pk).state == "draft"


def test_payments_move_an_invoice_by_its_amounts(customer):
    invoice = document_in(customer, "invoice", "sent")
    with transaction.atomic():
        invoice.amount_paid = Decimal("1")
        states.apply(invoice, "pay", actor=SYSTEM, details={}, fields=("amount_paid",))
        assert invoice.state == "partially_paid"
        invoice.amount_paid = invoice.total
        states.apply(invoice, "pay", actor=SYSTEM, details={}, fields=("amount_paid",))
        assert invoice.state == "paid"
    # Should a payment ever be taken off, the same rule moves it back.
    invoice.amount_paid = Decimal("0")
    assert states.payment_state(invoice) == "sent"


def test_the_daily_expiry_leaves_a_quote_whose_date_moved_on(customer):
    quote = document_in(customer, "quote", "sent")
    with pytest.raises(InvalidTransition, match="still valid") as refused, transaction.atomic():
        states.apply(quote, "expire", actor=SYSTEM)
    assert refused.value.code == "still_valid"


def test_apply_runs_the_checks_again_when_the_document_moved_since_check(customer):
    """A check() result spares apply() its checks only for the same action on the document
    as it stood: a state or version that moved since means checking again."""
    with transaction.atomic():
        quote = lock_document(make_document(customer=customer, kind="quote", state="sent"))
        checked = states.check(
            quote, "accept", shown_version=quote.content_version, signer_name="A"
        )
        quote.content_version += 1  # edited in between: the version the customer saw is gone
        with pytest.raises(InvalidTransition) as refused:
            states.apply(
                quote,
                "accept",
                actor=Actor.system(),
                checked=checked,
                shown_version=checked.facts.shown_version,
                signer_name="A",
            )
        assert refused.value.code == "stale_version"
        # Another action (or other facts) is not what was checked either.
        assert not checked.holds_for(quote, "decline", button=False, facts=checked.facts)
