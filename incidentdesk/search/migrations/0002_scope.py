"""SQLite: the index's rows carry their kind and incident as words of a `scope` column, so a
search narrows by kind and leaves out restricted incidents inside FTS5 (no row's stored
columns are read but those of the page shown). The table and its triggers are made again and
the index rebuilt. PostgreSQL: nothing changes."""

from django.db import migrations

from incidentdesk.search import index


def remake(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        index.uninstall(schema_editor.connection)
        index.install(schema_editor.connection)
        index.rebuild(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_index")]
    operations = [migrations.RunPython(remake, migrations.RunPython.noop)]
