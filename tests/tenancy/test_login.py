import pytest
from django.urls import reverse

from solabooks.tenancy.views import STAFF_LOGIN_LIMIT
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


def test_sign_in_is_throttled_per_address(client, owner):
    for _ in range(STAFF_LOGIN_LIMIT.max_hits):
        assert sign_in(client, owner.email, "wrong-password").status_code == 200
    # Now even the right password is refused, before it is checked.
    blocked = sign_in(client, owner.email, TEST_PASSWORD)
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not affected.
    assert sign_in(client, owner.email, TEST_PASSWORD, REMOTE_ADDR="10.9.8.7").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(client, owner):
    for i in range(STAFF_LOGIN_LIMIT.max_hits):
        sign_in(client, owner.email, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    blocked = sign_in(client, owner.email, TEST_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert blocked.status_code == 429


def test_successful_sign_ins_do_not_count(client, owner):
    for _ in range(STAFF_LOGIN_LIMIT.max_hits + 2):
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
