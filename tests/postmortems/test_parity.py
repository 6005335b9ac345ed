"""The same postmortem edit through the web, the API and the CLI leaves the same timeline entry,
each marked with where it came from."""

from incidentdesk.incidents.models import TimelineEntry


def test_an_edit_reads_the_same_on_the_timeline_from_every_door(
    started, responder, client, api_client, cli
):
    ref = started().incident.reference
    client.force_login(responder)
    client.post(
        f"/incidents/{ref}/postmortem/edit", {"part": "section", "key": "summary", "text": "web"}
    )
    api_client(responder).call(
        "PATCH", f"/incidents/{ref}/postmortem", {"sections": {"summary": "api"}}
    )
    cli("postmortem", "edit", ref, "--section", "summary", "--text", "cli", "--as", "rita")
    entries = TimelineEntry.objects.filter(body="Postmortem edited: summary").order_by("id")
    assert [e.source for e in entries] == ["web", "api", "cli"]
    assert {(e.kind, e.author_id, str(e.data)) for e in entries} == {
        ("field_change", responder.pk, "{'postmortem': {'edited': ['summary']}}")
    }
