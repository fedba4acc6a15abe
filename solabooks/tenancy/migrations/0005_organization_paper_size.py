"""Paper size, a business setting: existing businesses get their country's default
(US Letter in the United States and Canada, A4 elsewhere; tenancy.models.default_paper_size),
so their PDFs keep to the paper their customers print on."""

from django.db import migrations, models

# As tenancy.models.LETTER_COUNTRIES when this was written (a migration keeps its own copy).
LETTER_COUNTRIES = ("US", "CA")


def set_paper_by_country(apps, schema_editor):
    Organization = apps.get_model("tenancy", "Organization")
    Organization.objects.filter(country__in=LETTER_COUNTRIES).update(paper_size="letter")
    Organization.objects.exclude(country__in=LETTER_COUNTRIES).update(paper_size="a4")


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0004_einvoice_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="paper_size",
            field=models.CharField(
                blank=True,
                choices=[("a4", "A4"), ("letter", "US Letter")],
                max_length=8,
            ),
        ),
        migrations.RunPython(set_paper_by_country, migrations.RunPython.noop),
    ]
