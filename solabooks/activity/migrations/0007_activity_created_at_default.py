import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """Activity.created_at: a default of now instead of auto_now_add, so a row written
    after it happened (the access log's batches, through bulk_create) keeps its time.

    State only: Django keeps neither in the database (the column is the same NOT NULL
    timestamp), and an AlterField would have SQLite copy the whole table for nothing."""

    dependencies = [
        ("activity", "0006_project_verbs_and_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="activity",
                    name="created_at",
                    field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
            ],
            database_operations=[],
        ),
    ]
