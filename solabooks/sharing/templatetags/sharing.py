"""Template tags for the sharing app's include templates (the seams other apps include)."""

from django import template

from solabooks.sharing import emails, selectors

register = template.Library()


@register.simple_tag
def send_dialog(document) -> dict:
    """What the Send to Customer dialog shows: the address on file and editable defaults."""
    return {
        "email": document.customer.email,
        "subject": emails.default_subject(document=document),
        "message": emails.default_message(document=document),
        "already_sent": selectors.document_has_been_sent(document=document),
        "sendable": not document.is_dead and bool(document.customer.email),
    }


@register.simple_tag
def customer_links(customer) -> dict:
    """The customer's links for the Portal Access tab: the active ones, and how many could
    still be revoked (expired links count: they can be renewed until revoked)."""
    return {
        "active": list(selectors.active_customer_links(customer=customer)),
        "revocable": selectors.unrevoked_customer_links(customer=customer).count(),
    }


@register.simple_tag
def link_revoke_confirmation(link):
    """What a link's Revoke says before it acts (sharing/confirmations.py)."""
    from ..confirmations import link_revoke_confirmation as build

    return build(link)


@register.simple_tag
def revoke_all_confirmation(customer):
    from ..confirmations import revoke_all_confirmation as build

    return build(customer)
