from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "solabooks.customers"
    verbose_name = "Customers"
