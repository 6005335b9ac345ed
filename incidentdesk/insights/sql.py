"""Figures computed in the database. One scan of the selected incidents returns, for every
grouping asked for (a severity, a week, a component…), the number of incidents and the count,
mean, median and p90 of each measured time. On PostgreSQL it is one statement with
percentile_cont; on SQLite the measured times are sorted into a temporary table and each
percentile is a lookup by row number, with the same linear interpolation."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import F, FloatField, Func

from incidentdesk.incidents.models import Component, Incident

# metric -> (end, start): DESIGN.md §3.
METRICS = {
    "ttd": ("detected_at", "started_at"),
    "ttf": ("resolved_at", "detected_at"),
    "ttr": ("resolved_at", "started_at"),
}
ORDER = tuple(METRICS)
METRIC_NAMES = {"ttd": "time to detect", "ttf": "time to fix", "ttr": "time to recover"}
CURRENT, PREVIOUS = 1, 0


class Seconds(Func):
    """`end - start` in whole seconds, exact on both databases; NULL when either is NULL.

    Each timestamp is cut to its whole second (an epoch as an integer) before subtracting, so
    3,600 s is 3600 exactly: a difference of julianday() floats came out 3600.00002 and
    fell into the next histogram bucket. Typed as a float so averages and percentiles are
    floats on both databases."""

    output_field = FloatField()
    arity = 2
    template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS double precision)"
    arg_joiner = ")) - FLOOR(EXTRACT(EPOCH FROM "

    def as_sqlite(self, compiler, connection, **extra):
        if connection.Database.sqlite_version_info >= (3, 38):
            # unixepoch(): the integer epoch, as fast as julianday().
            template, joiner = "(unixepoch(%(expressions)s))", ") - unixepoch("
        else:
            # strftime('%s') is the same, slower. A literal % is written %% in SQL run with
            # parameters; the template is %-formatted once more.
            template = "(CAST(strftime('%%%%s', %(expressions)s) AS INTEGER))"
            joiner = ") AS INTEGER) - CAST(strftime('%%s', "
        return self.as_sql(compiler, connection, template=template, arg_joiner=joiner, **extra)


def durations() -> dict:
    """The three measured times as expressions over an incident row."""
    return {m: Seconds(F(end), F(start)) for m, (end, start) in METRICS.items()}


@dataclass(frozen=True)
class Grouping:
    """One way of grouping the scanned incidents.

    `key` is SQL over the scanned columns (`k_<name>` for each column given to `grouped`), or
    `c.name` with `by_component`, where an incident counts once in each of its components.
    `period` picks the rows of the current or the previous period; `metrics` are the measured
    times wanted per group (none: the number of incidents only)."""

    name: str
    key: str
    metrics: tuple[str, ...] = ()
    period: int = CURRENT
    by_component: bool = False


POSTGRES_STATS = """SELECT d, g, m, COUNT(*), AVG(s),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY s),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY s)
FROM dur GROUP BY d, g, m"""


def _percentile_sqlite(p: float) -> str:
    """percentile_cont on `insights_sorted`: the value at position 1 + p(n-1) of the group,
    interpolated with its neighbour. A group's rows are numbered together, in order of value,
    so its k-th value is the row numbered first + k - 1: a primary-key lookup."""
    pos = f"({p} * (q.n - 1))"
    low = f"(q.first + CAST({pos} AS INTEGER))"
    frac = f"({pos} - CAST({pos} AS INTEGER))"
    value = "(SELECT s FROM temp.insights_sorted WHERE rn = {})"
    return (
        f"{value.format(low)} * (1 - {frac}) + "
        f"CASE WHEN {frac} > 0 THEN {value.format(low + ' + 1')} * {frac} ELSE 0 END"
    )


SQLITE_STATS = f"""SELECT q.d, q.g, q.m, q.n, q.mean,
       {_percentile_sqlite(0.5)}, {_percentile_sqlite(0.9)}
FROM (SELECT d, g, m, COUNT(*) AS n, AVG(s) AS mean, MIN(rn) AS first
      FROM temp.insights_sorted GROUP BY d, g, m) AS q"""


def _source(grouping: Grouping, base: str) -> str:
    if not grouping.by_component:
        return base
    through = Incident.components.through._meta
    incident_column = through.get_field("incident").column
    component_column = through.get_field("component").column
    return (
        f"{base} LEFT JOIN {through.db_table} t ON t.{incident_column} = base.k_id "
        f"LEFT JOIN {Component._meta.db_table} c ON c.id = t.{component_column}"
    )


def _select(index: int, grouping: Grouping, base: str, *columns: str, where: str = "") -> str:
    """Rows of one grouping; `d` is its position in the list and `m` a metric's position in
    METRICS (small integers sort faster than names)."""
    condition = f"base.k_period = {grouping.period}" + (f" AND {where}" if where else "")
    return (
        f"SELECT {index} AS d, CAST({grouping.key} AS TEXT) AS g, "
        f"{', '.join(columns)} FROM {_source(grouping, base)} WHERE {condition}"
    )


def _counts(groupings: list[Grouping], base: str, users: bool) -> str:
    """Per group, the number of incidents and, with `users`, the users affected: their sum over
    the incidents that have a number, and how many have one (the rest are unknown)."""
    affected = ("SUM(base.k_users)", "COUNT(base.k_users)") if users else ("NULL", "NULL")
    return " UNION ALL ".join(
        _select(i, g, base, "-1 AS m", "COUNT(*) AS n", *affected, "NULL") + " GROUP BY 2"
        for i, g in enumerate(groupings)
    )


def _measured_parts(groupings: list[Grouping], base: str) -> list[str]:
    """Per grouping and metric, one row per known measured time: (grouping, key, metric, s)."""
    return [
        _select(i, g, base, f"{ORDER.index(m)} AS m", f"base.{m} AS s", where=f"base.{m} >= 0")
        for i, g in enumerate(groupings)
        for m in g.metrics
    ]


def _measured(groupings: list[Grouping], base: str) -> str:
    return " UNION ALL ".join(_measured_parts(groupings, base))


def _postgresql(cursor, inner, params, groupings, users) -> list:
    sql = f"WITH base AS MATERIALIZED ({inner})"
    dur = _measured(groupings, "base")
    if dur:
        sql += f", dur AS ({dur}) {POSTGRES_STATS} UNION ALL"
    cursor.execute(f"{sql} {_counts(groupings, 'base', users)}", params)
    return cursor.fetchall()


def _sqlite(cursor, inner, params, groupings, users) -> list:
    """SQLite's window functions are slow over many rows, so the scanned rows go to a temporary
    table once, and the measured times to a second one numbered in sorted order, from which
    each percentile is a lookup by row number (temporary tables are private to the
    connection and never touch the database file)."""
    base = "temp.insights_base AS base"
    cursor.execute("DROP TABLE IF EXISTS temp.insights_base")
    cursor.execute("DROP TABLE IF EXISTS temp.insights_sorted")
    try:
        cursor.execute(f"CREATE TEMP TABLE insights_base AS {inner}", params)
        sql = _counts(groupings, base, users)
        parts = _measured_parts(groupings, base)
        if parts:
            cursor.execute("CREATE TEMP TABLE insights_sorted (rn INTEGER PRIMARY KEY, d, g, m, s)")
            # One sort per grouping and metric: several small sorts cost less than one big
            # one, and each group's rows still come out together, in order of value.
            for part in parts:
                cursor.execute(
                    f"INSERT INTO temp.insights_sorted (d, g, m, s) "
                    f"SELECT d, g, m, s FROM ({part}) ORDER BY g, s"
                )
            sql = f"{SQLITE_STATS} UNION ALL {sql}"
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.execute("DROP TABLE IF EXISTS temp.insights_sorted")
        cursor.execute("DROP TABLE IF EXISTS temp.insights_base")


def grouped(queryset, columns: dict, groupings: list[Grouping]) -> dict:
    """Scan `queryset` once (annotated with `columns`, a `period` column among them, and the
    measured times) and return `{(grouping, key): {"incidents": n, metric: (count, mean,
    median, p90)}}` in seconds. A negative measured time (a timestamp entered wrong) is left
    out like a missing one, so both count as unknown; a key is None where the row has none.
    With a `users` column (the users affected), each entry also has `"users": (sum, known)`:
    the users affected summed over its incidents with a number, and how many those are."""
    base = queryset.annotate(
        k_id=F("pk"), **{f"k_{name}": expr for name, expr in columns.items()}, **durations()
    ).values_list("k_id", *(f"k_{name}" for name in columns), *METRICS)
    inner, params = base.query.sql_with_params()
    run = _postgresql if connection.vendor == "postgresql" else _sqlite
    users = "users" in columns
    with connection.cursor() as cursor:
        rows = run(cursor, inner, params, groupings, users)
    figures: dict = {}
    for d, g, m, n, mean, median, p90 in rows:
        entry = figures.setdefault((groupings[d].name, g), {})
        if m >= 0:
            entry[ORDER[m]] = (int(n), mean, median, p90)
        else:
            entry["incidents"] = int(n)
            if users:  # in the mean and median columns of a count row
                entry["users"] = (int(mean or 0), int(median or 0))
    return figures
