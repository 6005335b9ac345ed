"""Full-text search: ranking, freshness through every door, restricted incidents, odd input."""

import pytest
from django.core.management import call_command
from django.db import connection

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Incident, TimelineEntry
from incidentdesk.incidents.services import (
    action_item_create,
    command_run,
    incident_set_status,
    incident_update,
    timeline_entry_add,
    timeline_entry_edit,
)
from incidentdesk.postmortems.services import postmortem_edit, postmortem_start
from incidentdesk.search import index, selectors
from incidentdesk.search.selectors import search

WEB = ActionSource.WEB

pytestmark = pytest.mark.django_db


def found(viewer, query, **filters):
    return [
        (hit.kind, hit.incident.reference)
        for hit in search(viewer=viewer, query=query, **filters).hits
    ]


def entry_ids(viewer, query):
    return [hit.id for hit in search(viewer=viewer, query=query, kinds=["entry"]).hits]


def test_a_title_match_ranks_above_a_body_mention(declare, responder):
    mention = declare(title="Checkout errors", summary="Payments fail")
    timeline_entry_add(
        actor=responder,
        source=WEB,
        incident=mention,
        kind="note",
        body="The replica of the database lagged behind for a while, maybe unrelated",
    )
    titled = declare(title="Database failover stuck", summary="Primary gone")
    hits = search(viewer=responder, query="database").hits
    assert (hits[0].kind, hits[0].incident) == ("incident", titled)
    note = next(h for h in hits if h.kind == "entry" and h.incident == mention)
    assert hits[0].score > note.score
    assert "<mark>Database</mark>" in hits[0].title_html
    assert "<mark>database</mark>" in note.snippet_html


def test_an_entry_written_through_the_api_is_found_right_after(incident, rita, responder):
    response = rita.call(
        "post",
        f"/incidents/{incident.reference}/timeline",
        {"kind": "note", "body": "Rolled back the frobnicator deploy"},
    )
    assert response.status_code == 201, response.json_body
    assert entry_ids(responder, "frobnicator") == [response.json_body["id"]]


def test_an_entry_written_through_the_cli_is_found_right_after(incident, cli, responder):
    run = cli(
        "say", incident.reference, "note", "quarantined", "zygomorphic", "hosts", "--as", "rita"
    )
    assert run.code == 0, run.err
    entry = TimelineEntry.objects.filter(body__contains="zygomorphic").get()
    assert entry_ids(responder, "zygomorphic") == [entry.pk]


def test_an_entry_written_through_the_command_language_is_found_right_after(incident, responder):
    command_run(
        actor=responder, source=ActionSource.CHAT, incident=incident, text="decision drain eu-west"
    )
    hits = search(viewer=responder, query="drain eu-west").hits
    assert [(h.kind, h.incident.reference) for h in hits] == [("entry", incident.reference)]
    assert hits[0].url.endswith(f"#entry-{hits[0].id}")


def test_an_edited_entry_is_found_by_its_new_text_not_the_old(incident, responder):
    entry = timeline_entry_add(
        actor=responder, source=WEB, incident=incident, kind="note", body="Suspect the quokka cache"
    )
    timeline_entry_edit(actor=responder, source=WEB, entry=entry, body="Suspect the wombat cache")
    assert entry_ids(responder, "wombat") == [entry.pk]
    assert entry_ids(responder, "quokka") == []


def test_an_action_item_is_found_with_a_link_to_it(incident, responder):
    item = action_item_create(
        actor=responder, source=WEB, incident=incident, title="Add an alert on disk saturation"
    )
    hits = search(viewer=responder, query="saturation", kinds=["action"]).hits
    assert [(h.kind, h.id) for h in hits] == [("action", item.pk)]
    assert hits[0].url == f"/incidents/{incident.reference}#action-{item.pk}"


def test_a_deleted_incident_takes_its_entries_out_of_the_results(incident, responder):
    timeline_entry_add(
        actor=responder, source=WEB, incident=incident, kind="note", body="Xylophone"
    )
    assert found(responder, "xylophone") == [("entry", incident.reference)]
    Incident.objects.filter(pk=incident.pk).delete()
    assert found(responder, "xylophone") == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_index WHERE incident = %s", [incident.pk])
        assert cursor.fetchone()[0] == 0


def test_restricting_an_incident_hides_it_and_its_entries(incident, responder, manager, viewer):
    timeline_entry_add(actor=responder, source=WEB, incident=incident, kind="note", body="Gryphon")
    assert found(viewer, "gryphon") == [("entry", incident.reference)]
    incident_update(actor=manager, source=WEB, incident=incident, changes={"restricted": True})
    assert found(viewer, "gryphon") == []
    assert search(viewer=viewer, query="gryphon").counts == {}


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"unterminated phrase',
        "*",
        "-",
        "--",
        "AND",
        "a AND OR NOT b",
        "NEAR(a b)",
        "title:foo",
        "^start",
        "(a OR b",
        "'; DROP TABLE search_index; --",
        "ünïcödé 数据库 😀",
        "x" * 200,
        "checkout*",
        "-payments",
        "payments -checkout",
        "INC-2026-0001",
        "\\",
        "%_",
    ],
)
def test_odd_queries_never_fail(incident, responder, query):
    results = search(viewer=responder, query=query)
    assert results.count >= 0


def test_a_prefix_and_a_phrase_and_an_excluded_word(declare, responder):
    first = declare(title="Checkout latency in Frankfurt")
    second = declare(title="Checkout errors in Paris")
    assert {r for _, r in found(responder, "checkout*", kinds=["incident"])} == {
        first.reference,
        second.reference,
    }
    assert found(responder, '"checkout latency"', kinds=["incident"]) == [
        ("incident", first.reference)
    ]
    assert found(responder, "checkout -frankfurt", kinds=["incident"]) == [
        ("incident", second.reference)
    ]
    assert found(responder, "frank*", kinds=["incident"]) == [("incident", first.reference)]


def test_a_missing_trigger_is_put_back_after_migrate_and_the_index_rebuilt(incident, responder):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER search_index_entry_insert")
        else:
            cursor.execute("DROP TRIGGER search_index_entry_write ON incidents_timelineentry")
    timeline_entry_add(actor=responder, source=WEB, incident=incident, kind="note", body="Narwhal")
    assert found(responder, "narwhal") == []  # the index no longer follows
    assert index.missing_triggers()
    call_command("migrate", verbosity=0)
    assert index.missing_triggers() == []
    assert found(responder, "narwhal") == [("entry", incident.reference)]


def test_a_postmortem_section_is_found_with_a_link_to_that_section(declare, responder):
    incident = incident_set_status(
        actor=responder, source=WEB, incident=declare(title="Disk full"), status="resolved"
    )
    postmortem = postmortem_start(actor=responder, source=WEB, incident=incident)
    postmortem_edit(
        actor=responder,
        source=WEB,
        postmortem=postmortem,
        sections={
            "summary": "The **flux capacitor** overheated after the [upgrade](https://x.test)"
        },
    )
    hits = search(viewer=responder, query="capacitor", kinds=["postmortem"]).hits
    assert [(h.kind, h.section, h.section_title) for h in hits] == [
        ("postmortem", "summary", "Summary")
    ]
    assert hits[0].url == f"/incidents/{incident.reference}/postmortem#section-summary"
    # The snippet is a glimpse of the text, without the markdown's marks.
    assert hits[0].snippet_html == ("The flux <mark>capacitor</mark> overheated after the upgrade")
    postmortem_edit(
        actor=responder, source=WEB, postmortem=postmortem, sections={"summary": "Rewritten"}
    )
    assert search(viewer=responder, query="capacitor").hits == []


@pytest.mark.parametrize("named", [500, 0])
def test_restricted_stays_restricted_whether_named_in_the_query_or_compared_row_by_row(
    declare, admin, responder, monkeypatch, named
):
    # SQLite names up to MAX_NAMED_INCIDENTS incidents inside its FTS5 query; past it, it
    # compares each match's incident: both ways leave out the same incidents.
    monkeypatch.setattr(selectors, "MAX_NAMED_INCIDENTS", named)
    hidden = declare(actor=admin, title="Basilisk in the vault", restricted=True)
    shown = declare(title="Basilisk sighting", summary="Resolved later")
    assert found(responder, "basilisk", kinds=["incident"]) == [("incident", shown.reference)]
    assert found(responder, "basilisk", kinds=["incident"], status="open") == [
        ("incident", shown.reference)
    ]
    assert {r for _, r in found(admin, "basilisk", kinds=["incident"])} == {
        hidden.reference,
        shown.reference,
    }
    assert search(viewer=responder, query="basilisk").counts == {"incident": 1, "entry": 1}


def test_the_words_an_index_row_is_filed_under_are_not_searched(incident, responder):
    assert search(viewer=responder, query=f"i{incident.pk} k0 k1").count == 0


def test_a_write_that_bypasses_every_service_is_indexed_too(incident, responder):
    # The database keeps the index: a bulk update, a data migration or the admin need no hook.
    entry = timeline_entry_add(
        actor=responder, source=WEB, incident=incident, kind="note", body="Looking at the ocelot"
    )
    TimelineEntry.objects.filter(pk=entry.pk).update(body="Looking at the pangolin")
    Incident.objects.filter(pk=incident.pk).update(title="Pangolin outage")
    assert entry_ids(responder, "pangolin") == [entry.pk]
    assert entry_ids(responder, "ocelot") == []
    assert found(responder, "pangolin", kinds=["incident"]) == [("incident", incident.reference)]
