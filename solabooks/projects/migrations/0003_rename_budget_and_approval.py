from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("projects", "0002_initial")]

    operations = [
        migrations.RenameField("project", "budget", "budget_amount"),
        migrations.RenameField("timeentry", "approval", "state"),
    ]
