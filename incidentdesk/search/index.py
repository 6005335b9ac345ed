"""The full-text index, kept by the database itself.

One table, `search_index`, holds a row per searchable text: an incident (reference and title
as its title; summary and impact as its body), a timeline entry, an action item (title,
description) and each written section of a postmortem. Triggers on those source tables keep it
current on every insert, edit and delete, whichever door wrote (web, API, CLI, chat, alerts,
tasks, the admin, a data migration), so no service has to remember it.

- SQLite: an FTS5 table (porter stemming, diacritics folded), ranked with bm25.
- PostgreSQL: a plain table with a stored tsvector (English configuration, the title weighted
  A and the body D) and a GIN index, ranked with ts_rank.

A row's id is the source row's id × 64 plus a slot (0 incident, 1 entry, 2 action, 3–63 the
sections of a postmortem), so a source row finds its index rows by range without any other
index. `install` creates everything (idempotent); the migration and every `migrate` call it
(SQLite rebuilds a table to alter it, which drops that table's triggers: the post-migrate
check puts them back and rebuilds the index). `rebuild` refills the index from the sources."""

from dataclasses import dataclass

from django.db import connection as default_connection
from django.db import transaction

SLOTS = 64
POSTMORTEM_FIRST_SLOT = 3


@dataclass(frozen=True)
class Source:
    kind: str  # incident, entry, action, postmortem
    table: str
    columns: tuple[str, ...]  # the source columns the index reads
    select: dict[str, str]  # vendor -> SELECT of (id, kind, incident, section, title, body)
    first_slot: int
    last_slot: int


NL = {"sqlite": "char(10)", "postgresql": "E'\\n'"}


def _simple(kind: str, table: str, slot: int, incident: str, title: str, body: str, columns):
    select = {
        vendor: (
            f"SELECT {{r}}.id * {SLOTS} + {slot} AS n, '{kind}' AS kind, {incident} AS incident, "
            f"'' AS section, {title} AS title, "
            + body.replace("{nl}", nl)
            + " AS body {from_table}"
        )
        for vendor, nl in NL.items()
    }
    return Source(kind, table, columns, select, slot, slot)


_INCIDENT = _simple(
    "incident",
    "incidents_incident",
    0,
    "{r}.id",
    "{r}.reference || ' ' || {r}.title",
    "{r}.summary || {nl} || {r}.impact",
    ("reference", "title", "summary", "impact"),
)
_ENTRY = _simple(
    "entry", "incidents_timelineentry", 1, "{r}.incident_id", "''", "{r}.body", ("body",)
)
_ACTION = _simple(
    "action",
    "incidents_actionitem",
    2,
    "{r}.incident_id",
    "{r}.title",
    "{r}.description",
    ("title", "description"),
)

# Each written text section of a postmortem is its own row (a link goes to that section).
_SECTIONS = {
    "sqlite": (
        "json_each(CASE WHEN NOT json_valid({r}.sections) THEN '{{}}' "
        "WHEN json_type({r}.sections) = 'object' THEN {r}.sections ELSE '{{}}' END) AS s",
        "s.type = 'text' AND trim(s.value) <> ''",
        "s.value",
    ),
    "postgresql": (
        "jsonb_each(CASE WHEN jsonb_typeof({r}.sections) = 'object' "
        "THEN {r}.sections ELSE '{{}}'::jsonb END) AS s",
        "jsonb_typeof(s.value) = 'string' AND trim(s.value #>> '{{}}') <> ''",
        "s.value #>> '{{}}'",
    ),
}
_POSTMORTEM = Source(
    "postmortem",
    "postmortems_postmortem",
    ("sections",),
    {
        vendor: (
            "SELECT n, 'postmortem' AS kind, incident, key AS section, '' AS title, body FROM ("
            f"SELECT {{r}}.id * {SLOTS} + {POSTMORTEM_FIRST_SLOT - 1} + row_number() OVER "
            f"(PARTITION BY {{r}}.id ORDER BY s.key) AS n, {{r}}.id AS pm, "
            f"{{r}}.incident_id AS incident, s.key AS key, {value} AS body "
            f"FROM {{from_table_comma}} {each} WHERE {where}"
            f") AS sections WHERE n < (pm + 1) * {SLOTS}"
        )
        for vendor, (each, where, value) in _SECTIONS.items()
    },
    POSTMORTEM_FIRST_SLOT,
    SLOTS - 1,
)

SOURCES = (_INCIDENT, _ENTRY, _ACTION, _POSTMORTEM)
KINDS = tuple(s.kind for s in SOURCES)


def scope_token(kind: str) -> str:
    """The word every SQLite index row of `kind` carries in its `scope` column."""
    return f"k{KINDS.index(kind)}"


def _select(source: Source, vendor: str, row: str, from_table: bool) -> str:
    """The source's SELECT for one row (`row` = new) or, with `from_table`, for every row.
    On SQLite each row also gets its scope: its kind's word and its incident's (`k1 i42`), so
    a search narrows by kind and leaves out incidents inside FTS5 itself."""
    sql = source.select[vendor].format(
        r=row,
        from_table=f"FROM {source.table} AS {row}" if from_table else "",
        from_table_comma=f"{source.table} AS {row}," if from_table else "",
    )
    if vendor != "sqlite":
        return sql
    scope = f"'{scope_token(source.kind)} i' || incident"
    return f"SELECT n, kind, incident, section, title, body, {scope} FROM ({sql}) AS source"


# SQLite --------------------------------------------------------------------------------

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5("
    "kind UNINDEXED, incident UNINDEXED, section UNINDEXED, title, body, scope, "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)
INSERT_COLUMNS = {
    "sqlite": "search_index(rowid, kind, incident, section, title, body, scope)",
    "postgresql": "search_index(id, kind, incident, section, title, body)",
}


def _range(source: Source, row: str, vendor: str) -> str:
    key = "rowid" if vendor == "sqlite" else "id"
    return (
        f"{key} BETWEEN {row}.id * {SLOTS} + {source.first_slot} "
        f"AND {row}.id * {SLOTS} + {source.last_slot}"
    )


def sqlite_triggers() -> dict[str, str]:
    """Trigger name -> its CREATE statement, three a source table."""
    triggers = {}
    for s in SOURCES:
        insert = f"INSERT INTO {INSERT_COLUMNS['sqlite']} {_select(s, 'sqlite', 'new', False)};"
        delete = f"DELETE FROM search_index WHERE {_range(s, 'old', 'sqlite')};"
        changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in s.columns)
        name = f"search_index_{s.kind}"
        triggers[f"{name}_insert"] = (
            f"CREATE TRIGGER IF NOT EXISTS {name}_insert AFTER INSERT ON {s.table} "
            f"BEGIN {insert} END"
        )
        triggers[f"{name}_update"] = (
            f"CREATE TRIGGER IF NOT EXISTS {name}_update AFTER UPDATE ON {s.table} "
            f"WHEN {changed} BEGIN {delete} {insert} END"
        )
        triggers[f"{name}_delete"] = (
            f"CREATE TRIGGER IF NOT EXISTS {name}_delete AFTER DELETE ON {s.table} "
            f"BEGIN {delete} END"
        )
    return triggers


# PostgreSQL ----------------------------------------------------------------------------

PG_TABLE = [
    "CREATE TABLE IF NOT EXISTS search_index ("
    "id bigint PRIMARY KEY, kind varchar(16) NOT NULL, incident bigint NOT NULL, "
    "section varchar(64) NOT NULL DEFAULT '', title text NOT NULL DEFAULT '', "
    "body text NOT NULL DEFAULT '', "
    "vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, body), 'D')) STORED)",
    "CREATE INDEX IF NOT EXISTS search_index_vector ON search_index USING GIN (vector)",
    "CREATE INDEX IF NOT EXISTS search_index_incident ON search_index (incident)",
    "CREATE OR REPLACE FUNCTION search_index_truncated() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN DELETE FROM search_index WHERE kind = TG_ARGV[0]; RETURN NULL; END $$",
]


def pg_statements() -> list[str]:
    statements = list(PG_TABLE)
    for s in SOURCES:
        name = f"search_index_{s.kind}"
        insert = (
            f"INSERT INTO {INSERT_COLUMNS['postgresql']} {_select(s, 'postgresql', 'NEW', False)}"
            " ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, incident = EXCLUDED.incident,"
            " section = EXCLUDED.section, title = EXCLUDED.title, body = EXCLUDED.body;"
        )
        delete = f"DELETE FROM search_index WHERE {_range(s, 'OLD', 'postgresql')};"
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in s.columns)
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            f" IF TG_OP <> 'INSERT' THEN {delete} END IF;"
            f" IF TG_OP <> 'DELETE' THEN {insert} END IF;"
            " RETURN NULL; END $$",
            f"CREATE OR REPLACE TRIGGER {name}_write AFTER INSERT OR DELETE ON {s.table}"
            f" FOR EACH ROW EXECUTE FUNCTION {name}()",
            f"CREATE OR REPLACE TRIGGER {name}_update AFTER UPDATE ON {s.table}"
            f" FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {name}()",
            f"CREATE OR REPLACE TRIGGER {name}_truncate AFTER TRUNCATE ON {s.table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION search_index_truncated('{s.kind}')",
        ]
    return statements


# Both ----------------------------------------------------------------------------------


def supported(connection=None) -> bool:
    return (connection or default_connection).vendor in NL


def missing_triggers(connection=None) -> list[str]:
    """The triggers keeping the index current that are not in the database."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            expected = list(sqlite_triggers())
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            expected = [
                f"search_index_{s.kind}_{what}"
                for s in SOURCES
                for what in ("write", "update", "truncate")
            ]
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in expected if name not in present]


def install(connection=None) -> bool:
    """Create the index table and its triggers where missing; True when anything was missing
    (the index may then be stale: call `rebuild`). Does nothing on other databases."""
    connection = connection or default_connection
    if not supported(connection):
        return False
    missing = missing_triggers(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_index'")
            missing += [] if cursor.fetchone() else ["search_index"]
            cursor.execute(SQLITE_TABLE)
            for sql in sqlite_triggers().values():
                cursor.execute(sql)
        else:
            cursor.execute("SELECT to_regclass('search_index') IS NULL")
            missing += ["search_index"] if cursor.fetchone()[0] else []
            for sql in pg_statements():
                cursor.execute(sql)
    return bool(missing)


def uninstall(connection=None) -> None:
    """Drop the index and its triggers (a migration's way back, or before a new layout)."""
    connection = connection or default_connection
    if not supported(connection):
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in sqlite_triggers():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            for source in SOURCES:
                cursor.execute(f"DROP FUNCTION IF EXISTS search_index_{source.kind}() CASCADE")
            cursor.execute("DROP FUNCTION IF EXISTS search_index_truncated() CASCADE")
        cursor.execute("DROP TABLE IF EXISTS search_index")


def rebuild(connection=None) -> int:
    """Empty the index and fill it again from the source tables; returns its row count."""
    connection = connection or default_connection
    vendor = connection.vendor
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_index")
        for s in SOURCES:
            cursor.execute(f"INSERT INTO {INSERT_COLUMNS[vendor]} {_select(s, vendor, 'r', True)}")
        cursor.execute("SELECT count(*) FROM search_index")
        return cursor.fetchone()[0]
