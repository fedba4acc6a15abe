"""What Disable on the Portal Access tab says before it acts (core/confirm.py)."""

from solabooks.core.confirm import Confirmation


def disable_confirmation(customer) -> Confirmation:
    return Confirmation(
        f"Disable portal access for {customer.name}?",
        f"{customer.name} can no longer sign in to the customer portal, and their open "
        "sessions end on their next request. You can enable access again later.",
        "Disable access",
    )
