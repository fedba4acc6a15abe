from django.db import models

from solabooks.core.money import CURRENCY_CHOICES
from solabooks.core.scoping import OrganizationScopedManager


class Customer(models.Model):
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="customers"
    )
    name = models.CharField(max_length=200)
    # Every link and portal email goes to this address, never to one typed on a page.
    email = models.EmailField()
    billing_address = models.TextField(blank=True)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationScopedManager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "name"])]

    def __str__(self) -> str:
        return self.name
