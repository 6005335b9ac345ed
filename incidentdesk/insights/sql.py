"""Duration figures computed in the database: seconds between two timestamps, and per group the
count, mean, median and p90 of those seconds (percentile_cont on PostgreSQL; window functions
with linear interpolation, the same definition, on SQLite)."""

from django.db import connection
from django.db.models import CharField, F, FloatField, Func, Value

# metric -> (end, start): DESIGN.md §3.
METRICS = {
    "ttd": ("detected_at", "started_at"),
    "ttf": ("resolved_at", "detected_at"),
    "ttr": ("resolved_at", "started_at"),
}
METRIC_NAMES = {"ttd": "time to detect", "ttf": "time to fix", "ttr": "time to recover"}


class Seconds(Func):
    """`end - start` in seconds, as a float; NULL when either is NULL."""

    output_field = FloatField()
    arity = 2
    template = "CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision)"
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


def _percentile_sqlite(p: float) -> str:
    # percentile_cont: position 1 + p(n-1) between two neighbouring rows, interpolated.
    pos = f"(1 + {p} * (n - 1))"
    lo = f"CAST({pos} AS INTEGER)"
    frac = f"({pos} - {lo})"
    return (
        f"SUM(CASE WHEN rn = {lo} THEN s * (1 - {frac}) "
        f"WHEN rn = {lo} + 1 THEN s * {frac} ELSE 0 END)"
    )


def _unpivot(metrics) -> str:
    return " UNION ALL ".join(
        f"SELECT '{m}' AS m, g, {m} AS s FROM base WHERE {m} >= 0" for m in metrics
    )


# One scan of the incidents (base), unpivoted to one row per known duration. A negative duration
# (a timestamp entered wrong) is left out like a missing one, so both count as unknown.
SQLITE_STATS = f"""
WITH base AS MATERIALIZED ({{inner}}),
d AS ({{unpivot}}),
r AS (
  SELECT m, g, s,
         ROW_NUMBER() OVER (PARTITION BY m, g ORDER BY s) AS rn,
         COUNT(*) OVER (PARTITION BY m, g) AS n
  FROM d
)
SELECT m, g, MAX(n), AVG(s), {_percentile_sqlite(0.5)}, {_percentile_sqlite(0.9)}
FROM r GROUP BY m, g
"""

POSTGRES_STATS = """
WITH base AS MATERIALIZED ({inner}),
d AS ({unpivot})
SELECT m, g, COUNT(*), AVG(s),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY s),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY s)
FROM d GROUP BY m, g
"""


def duration_stats(queryset, group=None, metrics=tuple(METRICS)) -> dict:
    """{(metric, group_key): (count, mean, median, p90)} in seconds, in one query.

    `group` is an expression (e.g. F("severity__key")); without one every row is in group "".
    `metrics` narrows the work to some of ttd, ttf, ttr (a page showing one of them)."""
    group = group if group is not None else Value("", output_field=CharField())
    durations = {m: Seconds(F(METRICS[m][0]), F(METRICS[m][1])) for m in metrics}
    base = queryset.annotate(g=group, **durations).values_list("g", *metrics)
    inner, params = base.query.sql_with_params()
    template = POSTGRES_STATS if connection.vendor == "postgresql" else SQLITE_STATS
    with connection.cursor() as cursor:
        cursor.execute(template.format(inner=inner, unpivot=_unpivot(metrics)), params)
        rows = cursor.fetchall()
    return {(m, g): (int(n), mean, median, p90) for m, g, n, mean, median, p90 in rows}
