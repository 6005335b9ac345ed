"""The full-text index and the triggers that keep it current (see search/index.py): an FTS5
table on SQLite, a tsvector table with a GIN index on PostgreSQL; nothing on other databases."""

from django.db import migrations

from incidentdesk.search import index


def create(apps, schema_editor):
    if index.supported(schema_editor.connection):
        index.install(schema_editor.connection)
        index.rebuild(schema_editor.connection)


def drop(apps, schema_editor):
    index.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0009_severity_opens_chat_channel"),
        ("postmortems", "0004_structured_sections"),
    ]
    operations = [migrations.RunPython(create, drop)]
