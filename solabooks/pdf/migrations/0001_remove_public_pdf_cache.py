# Earlier versions cached generated PDFs in public media (default storage, pdf-cache/), which
# a deployment serves to anyone. They now live in the private storage; remove the old copies.

from django.db import migrations


def remove_public_copies(apps, schema_editor):
    from solabooks.pdf.legacy import remove_public_pdf_cache

    remove_public_pdf_cache()


class Migration(migrations.Migration):

    dependencies = []

    operations = [
        migrations.RunPython(remove_public_copies, migrations.RunPython.noop, elidable=True),
    ]
