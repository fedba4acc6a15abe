"""Organization scoping: the one way business data is read.

Every business model uses `OrganizationScopedManager`; views, API views and portal views
read through `Model.objects.for_org(org)` (and `.for_customer(customer)` in the portal and on
links). `tests/core/test_scoping_lint.py` fails if a view module queries `.objects` any
other way.
"""

from django.db import models
from django.http import Http404


class OrganizationScopedQuerySet(models.QuerySet):
    def for_org(self, organization) -> "OrganizationScopedQuerySet":
        if organization is None:
            raise ValueError("A business scope is required.")
        return self.filter(organization=organization)

    def for_customer(self, customer) -> "OrganizationScopedQuerySet":
        if customer is None:
            raise ValueError("A customer scope is required.")
        return self.filter(organization_id=customer.organization_id, customer=customer)

    def get_or_404(self, **lookup):
        try:
            return self.get(**lookup)
        except (self.model.DoesNotExist, ValueError, TypeError):
            raise Http404 from None


OrganizationScopedManager = models.Manager.from_queryset(OrganizationScopedQuerySet)
