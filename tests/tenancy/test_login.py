import pytest
from django.urls import reverse

from solabooks.tenancy.accounts import SIGN_IN_LIMITS
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

MISMATCH = "That email and password do not match an account."


def sign_in(client, email: str, password: str, **extra):
    return client.post(reverse("staff-login"), {"email": email, "password": password}, **extra)


def test_sign_in_works(client, owner):
    response = sign_in(client, owner.email, TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_unknown_email_and_wrong_password_get_the_same_answer(client, owner):
    unknown = sign_in(client, "nobody@example.test", "whatever-password")
    wrong = sign_in(client, owner.email, "not-the-password")
    assert unknown.status_code == wrong.status_code == 200
    assert list(unknown.context["form"].non_field_errors()) == [MISMATCH]
    assert list(wrong.context["form"].non_field_errors()) == [MISMATCH]
    assert not unknown.context["form"].errors.get("email")


def test_an_account_without_a_password_cannot_sign_in(client, owner):
    owner.set_unusable_password()
    owner.save()
    response = sign_in(client, owner.email, "any-password-at-all")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


PER_PAIR = SIGN_IN_LIMITS.per_account_and_client.max_hits
PER_CLIENT = SIGN_IN_LIMITS.per_client.max_hits


def test_sign_in_is_throttled_per_account_and_address(client, owner):
    for _ in range(PER_PAIR):
        assert sign_in(client, owner.email, "wrong-password").status_code == 200
    # Now even the right password from this address is refused, before it is checked.
    blocked = sign_in(client, owner.email, TEST_PASSWORD)
    assert blocked.status_code == 429
    assert "Too many attempts. Try again in" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not affected: an attacker cannot lock the owner out.
    assert sign_in(client, owner.email, TEST_PASSWORD, REMOTE_ADDR="10.9.8.7").status_code == 302


def test_sign_in_is_throttled_per_address_across_accounts(client, owner):
    for n in range(PER_CLIENT):
        sign_in(client, f"guess{n}@acme.test", "wrong-password")
    assert sign_in(client, owner.email, TEST_PASSWORD).status_code == 429
    assert sign_in(client, owner.email, TEST_PASSWORD, REMOTE_ADDR="10.9.8.7").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(client, owner):
    for i in range(PER_PAIR):
        sign_in(client, owner.email, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    blocked = sign_in(client, owner.email, TEST_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert blocked.status_code == 429


def test_successful_sign_ins_do_not_count(client, owner):
    for _ in range(PER_CLIENT + 2):
        assert sign_in(client, owner.email, TEST_PASSWORD).status_code == 302
        client.post(reverse("staff-logout"))


def test_next_must_stay_on_this_site(client, owner):
    response = client.post(
        reverse("staff-login") + "?next=https://evil.test/",
        {"email": owner.email, "password": TEST_PASSWORD},
    )
    assert response["Location"] == reverse("dashboard")


@pytest.mark.parametrize(
    "data",
    [{"email": "x" * 10_000, "password": "p"}, {"email": "a@b.test", "password": "p" * 10_000}],
)
def test_oversized_sign_in_input_is_a_form_error(client, data):
    assert client.post(reverse("staff-login"), data).status_code == 200
