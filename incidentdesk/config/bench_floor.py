"""The floor of the API's write path, for the benchmarks only (bench/declare_and_command.py).

`POST /api/v1/bench/floor` exists only when `INCIDENTDESK_BENCH_FLOOR` is on when the process
starts. It goes through everything a real write goes through before and after the domain —
the server, the middleware, the bearer token and its write scope, ninja's body parsing and a
JSON answer — and in between does the least a write can do: one row inserted in one
transaction. What our endpoints cost above it is what the domain costs.

Its table is no model and has no migration: `floor_table_create()` makes it (the benchmark
calls it before starting the server), so nothing of it exists in a normal installation.
"""

from django.db import connection, transaction
from django.utils import timezone
from ninja import Router, Schema, Status

from incidentdesk.core.schemas import Strict

TABLE = "bench_floor"
router = Router(tags=["bench"])


def floor_table_create() -> None:
    """Create the floor's table in the default database when it is missing."""
    key = "bigserial" if connection.vendor == "postgresql" else "integer"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} "
            f"(id {key} PRIMARY KEY, note varchar(200) NOT NULL, created_at varchar(40) NOT NULL)"
        )


class FloorIn(Strict):
    note: str


class FloorOut(Schema):
    id: int


@router.post("/bench/floor", response={201: FloorOut})
def floor(request, payload: FloorIn):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (note, created_at) VALUES (%s, %s) RETURNING id",
            [payload.note[:200], timezone.now().isoformat()],
        )
        (row_id,) = cursor.fetchone()
    return Status(201, {"id": row_id})
