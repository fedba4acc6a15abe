"""Error pages say what happened in plain words, never leak a path (a token may be in it),
and carry the strict CSP like every other page."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_404_is_plain_and_keeps_the_path_out(client):
    response = client.get("/finance/i/SECRET-TOKEN-abcdefghijklmnopqrstuvwxyz")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Not Found" in html
    assert "SECRET-TOKEN" not in html
    assert "dashboard" not in html  # signed-out visitors get no staff links
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_404_offers_staff_the_way_back(owner_client):
    html = owner_client.get("/finance/document/999999/").content.decode()
    assert reverse("dashboard") in html


def test_403_says_why(accountant_client):
    response = accountant_client.get(reverse("organization-settings"))
    assert response.status_code == 403
    assert "Only the business&#x27;s owner can do this." in response.content.decode()


def test_an_expired_form_gets_a_readable_csrf_page(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(reverse("customer-create"), {"name": "x"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


def test_a_400_is_readable(owner_client, customer):
    response = owner_client.post(reverse("customer-create"), {"notes": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 400
    assert "too large" in response.content.decode()


def test_500_page_renders_without_a_request_or_database():
    from django.template import loader

    html = loader.get_template("500.html").render()
    assert "Something went wrong" in html
