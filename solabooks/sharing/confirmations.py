"""What Revoke and Revoke all links say before they act (core/confirm.py)."""

from solabooks.core.confirm import Confirmation


def link_revoke_confirmation(link) -> Confirmation:
    opens = link.document.number if link.document_id else link.project.name
    return Confirmation(
        f"Revoke this link to {opens}?",
        f"The link to {opens} stops working at once; the customer cannot renew it.",
        "Revoke link",
    )


def revoke_all_confirmation(customer) -> Confirmation:
    return Confirmation(
        f"Revoke all of {customer.name}'s secure links?",
        f"Every secure link sent to {customer.name} stops working at once, and expired "
        "ones can no longer be renewed with Request access.",
        "Revoke all links",
    )
