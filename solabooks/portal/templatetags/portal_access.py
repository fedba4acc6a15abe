from django import template

from ..confirmations import disable_confirmation
from ..models import PortalAccess

register = template.Library()


@register.simple_tag
def portal_access_for(customer) -> PortalAccess | None:
    """The customer's portal access (for the staff panel), or None."""
    if customer is None or customer.pk is None:
        return None
    return PortalAccess.objects.for_customer(customer).select_related("portal_user").first()


@register.simple_tag
def portal_disable_confirmation(customer):
    """What Disable says before it acts (the dialog; the view asks the same without JS)."""
    return disable_confirmation(customer)
