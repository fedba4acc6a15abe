"""What Remove (a member) and Revoke (an API key) say before they act (core/confirm.py)."""

from solabooks.core.confirm import Confirmation


def member_remove_confirmation(membership, organization) -> Confirmation:
    email, business = membership.user.email, organization.name
    return Confirmation(
        f"Remove {email} from {business}?",
        f"{email} loses access to {business} at once: their open sessions here end and "
        "they can no longer sign in to it. Their past activity stays on record.",
        "Remove member",
    )


def api_key_revoke_confirmation(api_key) -> Confirmation:
    return Confirmation(
        f"Revoke the API key “{api_key.name}”?",
        "Anything using this key stops working at once. A revoked key cannot be restored.",
        "Revoke key",
    )
