import json

import pytest
from django.core.management import CommandError, call_command


def test_cli_prints_json_with_the_api_shape(incident_at, capsys):
    incident_at(ttd=10)
    call_command("insights", "--since", "2026-03-01", "--until", "2026-03-31", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["current"]["durations"]["ttd"]["median"]["text"] == "10 minutes"


def test_cli_prints_a_table_and_csv(incident_at, capsys):
    incident_at(ttd=90)
    call_command("insights", "--since", "2026-03-01", "--until", "2026-03-31")
    out = capsys.readouterr().out
    assert "time to detect" in out and "1.5 hours" in out
    call_command(
        "insights", "--since", "2026-03-01", "--until", "2026-03-31", "--by", "severity", "--csv"
    )
    assert capsys.readouterr().out.splitlines()[1].startswith("major,1,")


def test_cli_refuses_a_bad_date_naming_the_field(db):
    with pytest.raises(CommandError, match=r"^since: 'March' is not a date") as caught:
        call_command("insights", "--since", "March")
    assert caught.value.returncode == 2
