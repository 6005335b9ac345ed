from django.db import migrations

from incidentdesk.postmortems.defaults import structure_built_in_templates


def structure(apps, schema_editor):
    structure_built_in_templates(apps.get_model("postmortems", "PostmortemTemplate"))


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0003_improvement")]
    operations = [migrations.RunPython(structure, migrations.RunPython.noop)]
