from django.db import models
from django_countries.fields import CountryField

from solabooks.core.money import CURRENCY_CHOICES
from solabooks.core.scoping import OrganizationScopedManager


class Customer(models.Model):
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="customers"
    )
    name = models.CharField(max_length=200)
    # Every link and portal email goes to this address, never to one typed on a page.
    email = models.EmailField()
    # The postal address: street lines, then postcode, city and country.
    billing_address = models.TextField(blank=True, verbose_name="Street address")
    postcode = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = CountryField(blank=True)
    vat_id = models.CharField(max_length=20, blank=True, verbose_name="VAT identifier")
    # BT-10 of an e-invoice: the customer's purchase order or routing id (e.g. a Leitweg-ID).
    buyer_reference = models.CharField(max_length=100, blank=True)
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
