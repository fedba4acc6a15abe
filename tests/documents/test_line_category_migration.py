"""Migration documents 0005 gives existing lines a tax category without changing what they
mean: a line with a rate becomes standard rated, a 0% line zero rated (the constraint
line_rate_matches_category then holds for every row)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("documents", "0004_document_state_within_kind"), ("customers", "0002_initial"),
          ("tenancy", "0003_staff_tokens")]  # fmt: skip
AFTER = [("documents", "0005_einvoice_data")]


@pytest.mark.django_db(transaction=True)
def test_existing_lines_get_the_category_their_rate_means():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    organization = old.get_model("tenancy", "Organization").objects.create(name="Old Co")
    customer = old.get_model("customers", "Customer").objects.create(
        organization=organization, name="Old customer", email="old@client.test", currency="EUR"
    )
    document = old.get_model("documents", "Document").objects.create(
        organization=organization, customer=customer, kind="invoice", number="INV-0001",
        sequence=1, issue_date="2026-01-05", currency="EUR",
    )  # fmt: skip
    Line = old.get_model("documents", "DocumentLine")
    for position, rate in enumerate(["20", "0", "5.5"]):
        Line.objects.create(
            document=document, position=position, description=f"Line {position}",
            quantity=Decimal("1"), unit_price=Decimal("10"), tax_rate=Decimal(rate),
            line_subtotal=Decimal("10"), line_tax=Decimal("10") * Decimal(rate) / 100,
        )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    rows = new.get_model("documents", "DocumentLine").objects.order_by("position")
    assert [(row.tax_category, row.unit_code) for row in rows] == [
        ("S", "C62"),
        ("Z", "C62"),
        ("S", "C62"),
    ]
    # Back to the latest state for the tests that follow in this database.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
