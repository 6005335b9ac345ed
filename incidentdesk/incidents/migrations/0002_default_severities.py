from django.db import migrations

from incidentdesk.incidents.defaults import ensure_default_severities


def create(apps, schema_editor):
    ensure_default_severities(apps.get_model("incidents", "Severity"))


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
