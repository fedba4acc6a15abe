# A document's state is one of its kind's (documents.models.STATES_BY_KIND). Every row the
# services wrote already is; a row that is not makes this migration fail rather than pass
# unnoticed.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0003_customer_list_and_open_invoice_indexes"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="document",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("kind", "invoice"),
                        ("state__in", ["draft", "sent", "partially_paid", "paid", "void"]),
                    ),
                    models.Q(
                        ("kind", "quote"),
                        ("state__in", ["draft", "sent", "accepted", "declined", "expired"]),
                    ),
                    models.Q(
                        ("kind", "sales_order"),
                        ("state__in", ["draft", "confirmed", "fulfilled", "cancelled"]),
                    ),
                    models.Q(("kind", "receipt"), ("state__in", ["issued"])),
                    _connector="OR",
                ),
                name="document_state_within_kind",
            ),
        ),
    ]
