"""Similar past incidents: what ranks one incident above another (words, components, cause
terms, alert labels, severity), what the reader is shown (why, postmortem, cause, follow-ups),
the declare page's preview, the incident page's panel, the API, and restricted incidents."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.alerts.models import AlertGroup, Integration
from incidentdesk.incidents.models import (
    ActionItem,
    ActionPhase,
    ActionStatus,
    IncidentStatus,
    TimelineEntry,
)
from incidentdesk.postmortems.models import Postmortem, PostmortemTemplate
from incidentdesk.search.similar import similar_to_draft, similar_to_incident
from incidentdesk.search.similar_rank import Profile, rank, stem, words
from tests.factories import ComponentFactory, IncidentFactory, severity
from tests.search.similar_cases import require_wordllama

pytestmark = pytest.mark.django_db


def past(title, summary="", *, days=30, components=(), **fields):
    moment = timezone.now() - timedelta(days=days)
    incident = IncidentFactory(
        title=title,
        summary=summary,
        status=IncidentStatus.RESOLVED,
        declared_at=moment,
        resolved_at=moment + timedelta(hours=1),
        **fields,
    )
    incident.components.set(components)
    return incident


def postmortem(incident, *, cause="", tree=""):
    return Postmortem.objects.create(
        incident=incident,
        template=PostmortemTemplate.objects.get(key="blameless"),
        sections={"cause": cause},
        taxonomy_principal=tree.split("<")[0].strip(),
        taxonomy_tree=tree,
    )


def alert_group(incident, labels):
    integration, _ = Integration.objects.get_or_create(
        key_id="simtest01", defaults={"kind": "alertmanager", "name": "t", "digest": "0" * 64}
    )
    return AlertGroup.objects.create(
        integration=integration,
        group_key=f"g{incident.pk}",
        group_digest=f"{incident.pk:064d}",
        status="resolved",
        labels=labels,
        first_seen_at=timezone.now(),
        last_seen_at=timezone.now(),
        incident=incident,
    )


def refs(found):
    return [item.incident.reference for item in found]


# Words ------------------------------------------------------------------------------------


def test_words_match_across_the_forms_people_write_them_in():
    assert stem("failed") == stem("failing") == stem("failure") == stem("fails")
    assert stem("expired") == stem("expiry") == stem("expiration")
    assert stem("connections") == stem("connection") == stem("connect")
    assert stem("status") == stem("statuses") and stem("process") == stem("processes")
    assert [w for w, _ in words("DB logged out")] == [w for w, _ in words("database signed out")]
    assert [w for w, _ in words("2FA codes")] == [w for w, _ in words("two-factor code")]


def test_stop_words_and_lone_numbers_other_than_http_statuses_are_left_out():
    assert [shown for _, shown in words("The API is at 2026 and answers 502 to all of it")] == [
        "api",
        "answers",
        "502",
    ]


def test_a_rare_shared_word_counts_more_than_a_common_one():
    query = Profile(None, {"title": "checkout failing with webhook signature errors"})
    common = Profile(1, {"title": "checkout failing"})
    rare = Profile(2, {"title": "webhook signature"})
    others = [Profile(n, {"title": f"checkout slow {n}"}) for n in range(3, 9)]
    found = rank(query, [common, rare, *others])
    assert [m.key for m in found[:2]] == [2, 1]


# Features ---------------------------------------------------------------------------------


def test_a_shared_component_ranks_an_incident_above_one_with_the_same_words():
    payments, search = ComponentFactory(name="Payments"), ComponentFactory(name="Search")
    elsewhere = past("Requests timing out", components=[search], days=2)
    same_part = past("Requests timing out", components=[payments], days=40)
    found = similar_to_draft(viewer=None, title="Requests timing out", components=[payments])
    assert refs(found)[:2] == [same_part.reference, elsewhere.reference]
    assert found[0].why.startswith("shared component Payments")


def test_the_same_cause_term_ranks_an_incident_higher_and_says_so(responder):
    now = past("Checkout errors after a release", severity=severity("major"))
    postmortem(now, tree="MISSING_TEST")
    other_cause = past("Checkout errors after a release", days=3)
    postmortem(other_cause, tree="THIRD_PARTY_ERROR")
    same_cause = past("Checkout errors after a release", days=60)
    postmortem(same_cause, tree="MISSING_TEST < LACK_OF_TRACEABILITY")
    found = similar_to_incident(now, viewer=responder)
    assert refs(found)[:2] == [same_cause.reference, other_cause.reference]
    assert "same cause term MISSING_TEST" in found[0].why
    assert found[0].cause == "MISSING_TEST < LACK_OF_TRACEABILITY"


def test_shared_alert_labels_rank_higher_and_labels_naming_one_machine_do_not(responder):
    now = past("Service degraded")
    alert_group(now, {"alertname": "KafkaConsumerLagHigh", "instance": "broker-1:9092"})
    same_machine = past("Service degraded", days=2)
    alert_group(same_machine, {"alertname": "DiskFull", "instance": "broker-1:9092"})
    same_alert = past("Service degraded", days=90)
    alert_group(same_alert, {"alertname": "KafkaConsumerLagHigh", "instance": "broker-7:9092"})
    found = similar_to_incident(now, viewer=responder)
    assert refs(found)[0] == same_alert.reference
    assert "alert label alertname=KafkaConsumerLagHigh" in found[0].why
    assert found[1].match.shared_labels == []


def test_pinned_entries_and_decisions_count_but_other_entries_do_not(responder):
    pinned, decided, chatted = (past("Checkout errors", days=d) for d in (3, 4, 5))
    TimelineEntry.objects.create(
        incident=pinned, kind="note", source="web", body="pgbouncer pool saturated", pinned=True
    )
    TimelineEntry.objects.create(
        incident=decided, kind="decision", source="web", body="restart pgbouncer"
    )
    TimelineEntry.objects.create(
        incident=chatted, kind="discussion", source="web", body="is pgbouncer involved?"
    )
    found = similar_to_draft(viewer=responder, title="pgbouncer")
    assert sorted(refs(found)) == sorted([pinned.reference, decided.reference])


def test_the_same_severity_alone_never_makes_an_incident_similar(responder):
    past("Invoices show the wrong tax rate", severity=severity("critical"))
    assert (
        similar_to_draft(viewer=responder, title="Search is down", severity=severity("critical"))
        == []
    )


def test_the_why_line_names_the_words_that_matched(responder):
    past("Password reset links expired at once", summary="Clock skew on one server.")
    (found,) = similar_to_draft(viewer=responder, title="Reset link expired")
    assert found.why == "words: reset, links, expired"  # the query's order when equal


def test_an_incident_is_never_similar_to_itself(responder):
    incident = past("Search is slow")
    twin = past("Search is slow", days=400)
    assert refs(similar_to_incident(incident, viewer=responder)) == [twin.reference]


def test_a_postmortem_cause_and_follow_ups_come_with_each_result(responder):
    earlier = past("Card payments declined by the acquirer")
    postmortem(earlier, cause="## Why\nOur only acquirer failed and we had no second one.")
    for status in (ActionStatus.OPEN, ActionStatus.DONE, ActionStatus.IN_PROGRESS):
        ActionItem.objects.create(
            incident=earlier,
            title="Add a second acquirer",
            phase=ActionPhase.FOLLOW_UP,
            status=status,
        )
    ActionItem.objects.create(incident=earlier, title="Call them", phase=ActionPhase.RESPONSE)
    (found,) = similar_to_draft(viewer=responder, title="Card payments declined")
    assert found.cause == "Why"  # the first line of the cause section when there is no tree
    assert (found.followups_total, found.followups_open) == (3, 2)
    assert found.postmortem is not None


# Restricted incidents -------------------------------------------------------------------------


def test_a_restricted_incident_is_similar_only_for_people_who_may_see_it(
    client, responder, admin, make_user
):
    hidden = past("Customer data exposed through the export", restricted=True, security=True)
    outsider = make_user(username="olga")
    asked = {"title": "Customer data exposed in an export"}
    assert similar_to_draft(viewer=outsider, **asked) == []
    assert refs(similar_to_draft(viewer=admin, **asked)) == [hidden.reference]
    client.force_login(outsider)
    page = client.get("/incidents/similar", {"title": asked["title"]})
    assert page.status_code == 200 and hidden.title not in page.content.decode()
    client.force_login(admin)
    assert hidden.title in client.get("/incidents/similar", asked).content.decode()


def test_the_incident_page_panel_of_an_outsider_leaves_a_restricted_incident_out(
    client, declare, admin, make_user
):
    incident = declare(title="Export leaks customer emails")
    hidden = past("Export leaked customer emails", restricted=True)
    shown = past("Export showed customer emails to the wrong account", days=200)
    client.force_login(make_user(username="olga"))
    page = client.get(f"/incidents/{incident.reference}").content.decode()
    assert 'id="similar"' in page and f'hx-get="/incidents/{incident.reference}/similar"' in page
    for htmx in ({"HTTP_HX_REQUEST": "true"}, {}):  # the panel's list, and its page without JS
        listed = client.get(f"/incidents/{incident.reference}/similar", **htmx).content.decode()
        assert shown.reference in listed
        assert hidden.reference not in listed and hidden.title not in listed
    assert client.get(f"/incidents/{hidden.reference}/similar").status_code == 404
    client.force_login(admin)
    listed = client.get(f"/incidents/{incident.reference}/similar", HTTP_HX_REQUEST="true")
    assert hidden.reference in listed.content.decode()


def test_the_panel_costs_the_incident_page_no_query_and_the_live_refresh_leaves_it_alone(
    client, responder, incident, django_assert_num_queries
):
    from django.template.loader import render_to_string

    from incidentdesk.incidents import panels

    past("Payments fail", days=10)
    panel = panels.panel("similar")
    with django_assert_num_queries(0):
        assert panel.context(None, incident) == {}
    drawn = render_to_string(panel.template, {"incident": incident})
    assert 'id="similar"' in drawn and 'hx-trigger="load"' in drawn
    assert render_to_string(panel.template, {"incident": incident, "oob": True}).strip() == ""


def test_the_api_lists_similar_incidents_and_hides_restricted_ones(api_client, responder, admin):
    incident = past("Webhook signatures rejected")
    earlier = past("Webhook signature check rejected every call", days=100)
    hidden = past("Webhook signatures rejected again", restricted=True, days=5)
    answer = api_client(responder).call("GET", f"/incidents/{incident.reference}/similar")
    assert answer.status_code == 200
    assert [row["reference"] for row in answer.json_body] == [earlier.reference]
    assert answer.json_body[0]["why"].startswith("words: ")
    assert answer.json_body[0]["postmortem_status"] is None
    assert (
        api_client(responder).call("GET", f"/incidents/{hidden.reference}/similar").status_code
        == 404
    )
    both = api_client(admin).call("GET", f"/incidents/{incident.reference}/similar?limit=1")
    assert [row["reference"] for row in both.json_body] == [hidden.reference]


# The declare page's preview --------------------------------------------------------------------


def test_the_preview_shows_a_similar_past_incident_with_its_postmortem_link(client, responder):
    earlier = past("Primary database ran out of connections")
    postmortem(earlier, tree="INFRASTRUCTURE_ERROR")
    client.force_login(responder)
    page = client.get(
        "/incidents/similar", {"title": "Too many connections on the database", "severity": "sev2"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert earlier.reference in html
    assert f'href="/incidents/{earlier.reference}/postmortem"' in html
    assert f'href="/incidents/{earlier.reference}/postmortem#section-cause"' in html
    assert "Why similar:" in html and "INFRASTRUCTURE_ERROR" in html


def test_the_preview_takes_components_by_id_or_name(client, responder):
    payments = ComponentFactory(name="Payments")
    earlier = past("Something odd", components=[payments])
    client.force_login(responder)
    for value in (str(payments.pk), "Payments"):
        html = client.get("/incidents/similar", {"components": value}).content.decode()
        assert earlier.reference in html, value


def test_the_preview_ignores_what_it_cannot_read_instead_of_failing(client, responder):
    past("Checkout failing")
    client.force_login(responder)
    page = client.get(
        "/incidents/similar",
        {
            "title": "checkout\x00",
            "severity": "sev99\x00",
            "components": ["99999999999999999999", "", "x", "Pay\x00ments"],
        },
    )
    assert page.status_code == 200 and "Checkout failing" in page.content.decode()
    empty = client.get("/incidents/similar")
    assert empty.status_code == 200 and "No similar" not in empty.content.decode()
    nothing = client.get("/incidents/similar", {"title": "zebra crossing"}).content.decode()
    assert "No similar past incident" in nothing


def test_the_preview_needs_a_signed_in_person(client, responder):
    answer = client.get("/incidents/similar", {"title": "database"})
    assert answer.status_code == 302 and "/login" in answer["Location"]


def test_the_preview_reads_a_bounded_number_of_queries_whatever_the_history(
    client, responder, django_assert_max_num_queries
):
    payments = ComponentFactory(name="Payments")
    for n in range(60):
        incident = past(f"Payments failing case {n}", components=[payments], days=n + 1)
        postmortem(incident, tree="THIRD_PARTY_ERROR")
        alert_group(incident, {"alertname": "PaymentErrors"})
    client.force_login(responder)
    with django_assert_max_num_queries(16):
        page = client.get(
            "/incidents/similar",
            {"title": "Payments failing", "severity": "major", "components": "Payments"},
        )
    assert page.content.decode().count('class="similar-item"') == 5


# The optional embedding ------------------------------------------------------------------------


def test_with_the_setting_off_the_ranking_is_lexical(responder, settings):
    settings.SIMILAR_EMBEDDINGS = False
    past("Duplicate charges on one order")
    (found,) = similar_to_draft(viewer=responder, title="Customers charged twice")
    assert found.match.embedding is None


def test_the_embedding_loads_from_the_package_with_downloads_disabled(
    responder, settings, monkeypatch, tmp_path
):
    require_wordllama()
    from incidentdesk.search import similar_embed

    # No cache to fall back on and the hub switched off: only the files inside the wheel.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    similar_embed.model.cache_clear()
    settings.SIMILAR_EMBEDDINGS = True
    assert similar_embed.enabled()
    query = Profile(None, {"title": "customers were billed two times for one purchase"})
    close = Profile(1, {"title": "duplicate charges on a single order"})
    far = Profile(2, {"title": "website certificate expired"})
    near, away = similar_embed.cosines(query, [close, far])
    assert near > away
    past("Duplicate charges on one order")
    (found,) = similar_to_draft(viewer=responder, title="Customers charged twice")
    assert found.match.embedding is not None and found.match.embedding > 0
