from django.db import migrations

from incidentdesk.postmortems.defaults import ensure_built_in_templates, ensure_built_in_terms


def create(apps, schema_editor):
    ensure_built_in_terms(apps.get_model("postmortems", "TaxonomyTerm"))
    ensure_built_in_templates(apps.get_model("postmortems", "PostmortemTemplate"))


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
