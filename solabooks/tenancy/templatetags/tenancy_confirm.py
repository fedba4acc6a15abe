"""The confirmations of the members and API key pages (tenancy/confirmations.py)."""

from django import template

from .. import confirmations

register = template.Library()


@register.simple_tag
def member_remove_confirmation(membership, organization):
    return confirmations.member_remove_confirmation(membership, organization)


@register.simple_tag
def api_key_revoke_confirmation(api_key):
    return confirmations.api_key_revoke_confirmation(api_key)
