"""A link pasted with what a mail client or a sentence glued to it still opens its page, and
the plain-text email puts each link alone on its line, so nothing gets glued to it."""

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db

TAILS = [".", ")", "%3E", "%20", ".)", "%E2%80%9D", "%0A"]


@pytest.mark.parametrize("tail", TAILS)
def test_a_document_link_with_a_pasted_tail_opens_the_document(sent_invoice, customer_client, tail):
    invoice, path = sent_invoice
    page = customer_client.get(path + tail)
    assert page.status_code == 200
    assert invoice.number in page.content.decode()


def test_a_tail_does_not_make_a_wrong_token_right(sent_invoice, customer_client):
    _, path = sent_invoice
    changed = path[:-1] + ("A" if path[-1] != "A" else "B")
    assert customer_client.get(changed + ".").status_code == 404
    # "-" and "_" belong to tokens: they are never stripped.
    assert customer_client.get(path + "-").status_code == 404
    assert customer_client.get(path + "_").status_code == 404


def test_the_plain_text_email_has_each_link_alone_on_its_line(sent_invoice, sent_quote):
    for message in mail.outbox:
        lines = [line for line in message.body.splitlines() if "/finance/" in line]
        assert lines, message.body
        for line in lines:
            assert line == line.strip() and " " not in line, line
            assert line.startswith("http") and line[-1] not in ".,;:)>", line
