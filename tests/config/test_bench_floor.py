"""The benchmark's floor endpoint: absent from every installation, and when a process is
started with INCIDENTDESK_BENCH_FLOOR it is an authenticated write of one row."""

import json
import subprocess
import sys

FLOOR_RUN = """
import django, json
django.setup()
from django.core.management import call_command
from django.db import connection
from django.test import Client
from incidentdesk.accounts.services import token_create, user_create
from incidentdesk.config.bench_floor import TABLE, floor_table_create
from incidentdesk.core.sources import ActionSource

call_command("migrate", verbosity=0)
floor_table_create()
user = user_create(actor=None, source=ActionSource.CLI, username="bench",
    email="bench@example.com", password="bench-password-123", role="admin")
answers = {}
for scope in ("write", "read"):
    _, token = token_create(actor=user, source=ActionSource.CLI, user=user, name=scope, scope=scope)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    response = client.post("/api/v1/bench/floor", {"note": scope}, content_type="application/json")
    answers[scope] = [response.status_code, response.json()]
answers["none"] = Client(HTTP_HOST="127.0.0.1").post(
    "/api/v1/bench/floor", {"note": "x"}, content_type="application/json").status_code
with connection.cursor() as cursor:
    cursor.execute(f"SELECT note FROM {TABLE}")
    answers["rows"] = [row[0] for row in cursor.fetchall()]
print(json.dumps(answers))
"""


def test_the_bench_floor_is_no_endpoint_of_an_installation(api_client, responder, client):
    response = api_client(responder).call("POST", "/bench/floor", {"note": "x"})
    assert response.status_code == 404
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert not any("bench" in path for path in paths)


def test_the_bench_floor_writes_one_row_for_a_write_token_only(own_env):
    run = subprocess.run(
        [sys.executable, "-c", FLOOR_RUN],
        env={**own_env, "INCIDENTDESK_BENCH_FLOOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    answers = json.loads(run.stdout.strip().splitlines()[-1])
    assert answers["write"] == [201, {"id": 1}]
    assert answers["read"][0] == 403
    assert answers["none"] == 401
    assert answers["rows"] == ["write"]
