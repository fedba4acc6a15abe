"""Serializers of sending a document and its secure links, and of a customer's portal
access (api/views/links.py, portal.py, project_actions.py): inputs, answers, and what a
requested expiry means (it never changes the 24 hours; it only says it was overridden).
"""

import datetime
from typing import Any

from django.utils.dateparse import parse_datetime, parse_duration
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from solabooks.sharing.models import SecureLink
from solabooks.sharing.selectors import link_state

from .serializers import LINK_STATES, PORTAL_STATES, Email, Text

# --- Sending and links -----------------------------------------------------------------


class SendInSerializer(serializers.Serializer):
    subject = Text(max_length=200, required=False, allow_blank=True)
    message = Text(
        max_length=5000,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Leave out for the default text.",
    )
    # Any value at all is accepted here: the guide says a custom expiry is overridden to
    # 24 hours, not refused. The answer's expiry_overridden says whether one was asked for.
    expires_in = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text=(
            "Ignored: a link always expires 24 hours after it is created. Any value "
            "(seconds, an ISO-8601 duration, anything) is accepted and overridden."
        ),
    )
    expires_at = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="Ignored, like expires_in: the link expires 24 hours after creation.",
    )


class LinkOutSerializer(serializers.Serializer):
    """A secure link as staff see it. Never its token: only the email carries that."""

    id = serializers.IntegerField()
    document = serializers.IntegerField(source="document_id", allow_null=True)
    customer = serializers.IntegerField(source="customer_id")
    sent_to = serializers.EmailField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_reason = serializers.CharField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    state = serializers.SerializerMethodField(
        help_text="active, expired (the customer may request a fresh link) or invalid."
    )

    @extend_schema_field(serializers.ChoiceField(choices=LINK_STATES))
    def get_state(self, link: SecureLink) -> str:
        return link_state(link).value


EXPIRY_NOTE = "A secure link always expires 24 hours after it is created."
EXPIRY_OVERRIDDEN_NOTE = (
    "A secure link always expires 24 hours after it is created; the requested expiry was "
    "overridden."
)


def requested_expiry(data: dict[str, Any]) -> object | None:
    """What the caller asked for, in the types the sharing service compares (a timedelta,
    a datetime, seconds), or the raw value when it is none of those. It never changes the
    expiry; it only decides whether the answer says `expiry_overridden`."""
    asked = [
        _as_expiry(data[name], parse=parse)
        for name, parse in (("expires_in", _parse_duration), ("expires_at", _parse_datetime))
        if data.get(name) is not None
    ]
    if not asked:
        return None
    # Both given: a pair is never "exactly 24 hours", so it is reported as overridden.
    return asked[0] if len(asked) == 1 else tuple(asked)


def _as_expiry(value: object, *, parse) -> object:
    if isinstance(value, str):
        parsed = parse(value.strip())
        return value if parsed is None else parsed
    return value


def _parse_duration(value: str) -> datetime.timedelta | None:
    try:
        return parse_duration(value)  # "PT24H", "P1D", "1 00:00:00", "86400"
    except (ValueError, OverflowError):
        return None


def _parse_datetime(value: str) -> datetime.datetime | None:
    try:
        return parse_datetime(value)
    except (ValueError, OverflowError):
        return None


class SendOutSerializer(serializers.Serializer):
    link = LinkOutSerializer()
    sent_to = serializers.EmailField()
    subject = serializers.CharField()
    expiry_overridden = serializers.BooleanField(
        help_text="True when the request asked for an expiry other than 24 hours."
    )
    expiry_note = serializers.CharField()


class RevokedOutSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="How many links were revoked.")


# --- Portal access ---------------------------------------------------------------------


class PortalAccessOutSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    state = serializers.ChoiceField(
        choices=PORTAL_STATES,
        help_text="none: never enabled; invited: setup email sent; active; disabled.",
    )
    email = serializers.EmailField(allow_null=True, help_text="The portal account's email.")
    changed_at = serializers.DateTimeField(allow_null=True)
    activated_at = serializers.DateTimeField(allow_null=True)


class PortalEnableInSerializer(serializers.Serializer):
    email = Email(
        max_length=254,
        help_text="The customer's email as staff confirmed it; must match the email on file.",
    )
