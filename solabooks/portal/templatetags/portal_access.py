from django import template

from ..models import PortalAccess

register = template.Library()


@register.simple_tag
def portal_access_for(customer) -> PortalAccess | None:
    """The customer's portal access (for the staff panel), or None."""
    if customer is None or customer.pk is None:
        return None
    return PortalAccess.objects.for_customer(customer).select_related("portal_user").first()
