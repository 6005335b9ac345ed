from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.errors import InvalidTransition, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind, TimelineEntry
from incidentdesk.incidents.services import (
    incident_set_status,
    incident_update,
    timeline_entry_add,
)
from incidentdesk.postmortems import selectors, services
from incidentdesk.postmortems.models import Postmortem, TaxonomyTerm

WEB = ActionSource.WEB


def _facts(incident) -> dict[str, str]:
    incident.refresh_from_db()
    return {f.label: f.value for f in selectors.incident_facts(incident)}


def test_the_postmortem_is_locked_until_the_incident_is_resolved(declare, responder):
    incident = declare()
    with pytest.raises(InvalidTransition, match="once the incident is resolved"):
        services.postmortem_start(actor=responder, source=WEB, incident=incident)
    assert not Postmortem.objects.exists()


def test_resolving_unlocks_the_postmortem_and_starting_is_on_the_timeline(resolved, responder):
    incident = resolved()
    postmortem = services.postmortem_start(actor=responder, source=WEB, incident=incident)
    assert postmortem.status == "draft" and postmortem.template.key == "blameless"
    last = TimelineEntry.objects.filter(incident=incident).last()
    assert last.body.startswith("Postmortem started") and last.source == WEB


def test_a_second_postmortem_is_refused(started, responder):
    postmortem = started()
    with pytest.raises(InvalidTransition, match="already has"):
        services.postmortem_start(actor=responder, source=WEB, incident=postmortem.incident)


def test_an_unknown_template_is_refused_with_the_known_ones(resolved, responder):
    with pytest.raises(ValidationError, match="technology_incident_report") as caught:
        services.postmortem_start(actor=responder, source=WEB, incident=resolved(), template="nope")
    assert caught.value.field == "template"


def test_a_viewer_may_not_start_a_postmortem(resolved, viewer):
    with pytest.raises(PermissionDenied):
        services.postmortem_start(actor=viewer, source=WEB, incident=resolved())


def test_the_timeline_is_drafted_from_pinned_and_important_entries(declare, responder):
    incident = declare()
    for kind, body, pinned in [
        ("decision", "Roll back release 42", False),
        ("note", "Coffee is ready", False),
        ("event", "Error rate at 30%", True),
    ]:
        timeline_entry_add(
            actor=responder, source=WEB, incident=incident, kind=kind, body=body, pinned=pinned
        )
    incident_set_status(actor=responder, source=WEB, incident=incident, status="resolved")
    postmortem = services.postmortem_start(actor=responder, source=WEB, incident=incident)
    draft = postmortem.sections["timeline"]
    assert "Roll back release 42" in draft and "Error rate at 30%" in draft
    assert "Status investigating → resolved" in draft
    assert "Coffee" not in draft


def test_the_change_links_are_copied_into_cause_and_solution(resolved, responder):
    postmortem = services.postmortem_start(
        actor=responder,
        source=WEB,
        incident=resolved(
            cause_change_url="https://git.example.com/c/1",
            fix_change_urls=["https://git.example.com/c/2"],
        ),
    )
    assert "https://git.example.com/c/1" in postmortem.sections["causing_change"]
    assert "https://git.example.com/c/2" in postmortem.sections["solution"]


def test_facts_follow_corrected_incident_timestamps(started, responder, settings):
    settings.REPORTING_TIME_ZONE = "Europe/Madrid"
    postmortem = started()
    incident = postmortem.incident
    resolved_at = incident.resolved_at
    incident_update(
        actor=responder,
        source=WEB,
        incident=incident,
        changes={
            "started_at": resolved_at - timedelta(minutes=90),
            "detected_at": resolved_at - timedelta(minutes=45),
            "declared_at": resolved_at - timedelta(minutes=40),
        },
    )
    facts = _facts(incident)
    assert facts["Time to detect"] == "45 minutes"
    assert facts["Time to fix"] == "45 minutes"
    assert facts["Time to recover"] == "1.5 hours"
    incident_update(
        actor=responder,
        source=WEB,
        incident=incident,
        changes={"started_at": resolved_at - timedelta(hours=26)},
    )
    assert _facts(incident)["Time to recover"] == "1.1 days"
    madrid = (resolved_at - timedelta(hours=26)).astimezone(selectors.reporting_zone())
    assert _facts(incident)["Started (Europe/Madrid)"] == madrid.strftime("%y-%m-%d %H:%M")


def test_facts_say_unknown_for_a_missing_timestamp(started):
    incident = started().incident
    incident.started_at = None
    facts = {f.label: f.value for f in selectors.incident_facts(incident)}
    assert facts["Time to detect"] == "unknown" and facts["Time to recover"] == "unknown"
    zone_labels = [label for label in facts if "(UTC)" in label]
    assert zone_labels == ["Started (UTC)"], "the zone is named once"


def test_editing_saves_text_and_returns_blameless_warnings(started, responder):
    postmortem = started()
    result = services.postmortem_edit(
        actor=responder,
        source=WEB,
        postmortem=postmortem,
        sections={"summary": "Bob broke the deploy. We should have tested it."},
    )
    assert result.postmortem.sections["summary"].startswith("Bob broke")
    phrases = [(w["field"], w["phrase"]) for w in result.warnings]
    assert ("sections.summary", "Bob broke") in phrases
    assert any(p.startswith("should have") for _, p in phrases)
    assert TimelineEntry.objects.filter(body="Postmortem edited: summary").exists()


def test_an_unknown_section_is_refused_and_nothing_is_saved(started, responder):
    postmortem = started()
    with pytest.raises(ValidationError) as caught:
        services.postmortem_edit(
            actor=responder,
            source=WEB,
            postmortem=postmortem,
            sections={"summary": "fine", "nonsense": "x"},
        )
    assert caught.value.field == "sections.nonsense"
    postmortem.refresh_from_db()
    assert "summary" not in postmortem.sections or postmortem.sections["summary"] != "fine"


def test_five_whys_and_the_taxonomy_tree_are_stored(started, responder):
    result = services.postmortem_edit(
        actor=responder,
        source=WEB,
        postmortem=started(),
        five_whys=[{"why": "Why did checkout fail?", "because": "The orders table was locked"}],
        taxonomy="data_quality < FAILED_MIGRATION",
    )
    assert result.postmortem.five_whys[0]["because"] == "The orders table was locked"
    assert result.postmortem.taxonomy_principal == "DATA_QUALITY"
    assert result.postmortem.taxonomy_tree == "DATA_QUALITY < FAILED_MIGRATION"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"taxonomy": "COSMIC_RAYS"}, "taxonomy"),
        ({"five_whys": [{"because": "no question"}]}, "five_whys.0.why"),
        ({"five_whys": "why?"}, "five_whys"),
        ({"sections": {"summary": 5}}, "sections.summary"),
        ({"public_cause": "x" * 10_001}, "public_cause"),
        ({"status": "published"}, "status"),
    ],
)
def test_bad_edits_name_the_field(started, responder, changes, field):
    with pytest.raises(ValidationError) as caught:
        services.postmortem_edit(actor=responder, source=WEB, postmortem=started(), **changes)
    assert caught.value.field == field


def _ready(started, responder):
    postmortem = started()
    services.postmortem_edit(
        actor=responder, source=WEB, postmortem=postmortem, taxonomy="MISSING_TEST"
    )
    return postmortem


def test_review_needs_named_reviewers(started, responder):
    with pytest.raises(ValidationError, match="reviewer") as caught:
        services.postmortem_review(
            actor=responder, source=WEB, postmortem=started(), status="in_review", reviewers=[]
        )
    assert caught.value.field == "reviewers"


def test_a_postmortem_goes_through_review_to_published(started, responder, manager):
    postmortem = _ready(started, responder)
    postmortem = services.postmortem_review(
        actor=responder, source=WEB, postmortem=postmortem, status="in_review", reviewers=["manny"]
    )
    assert postmortem.status == "in_review"
    assert [u.username for u in postmortem.reviewers.all()] == ["manny"]
    postmortem = services.postmortem_review(
        actor=manager, source=WEB, postmortem=postmortem, status="published"
    )
    assert postmortem.status == "published" and postmortem.published_at is not None
    bodies = list(
        TimelineEntry.objects.filter(kind=EntryKind.FIELD_CHANGE).values_list("body", flat=True)
    )
    assert "Postmortem draft → in_review; reviewers: manny" in bodies
    assert "Postmortem in_review → published" in bodies


def test_only_a_manager_publishes(started, responder, manager):
    postmortem = _ready(started, responder)
    services.postmortem_review(
        actor=responder, source=WEB, postmortem=postmortem, status="in_review", reviewers=["manny"]
    )
    with pytest.raises(PermissionDenied):
        services.postmortem_review(
            actor=responder, source=WEB, postmortem=postmortem, status="published"
        )


def test_publishing_needs_the_conclusions_taxonomy(started, responder, manager):
    postmortem = started()
    services.postmortem_review(
        actor=responder, source=WEB, postmortem=postmortem, status="in_review", reviewers=["manny"]
    )
    with pytest.raises(InvalidTransition, match="taxonomy"):
        services.postmortem_review(
            actor=manager, source=WEB, postmortem=postmortem, status="published"
        )


def test_a_draft_cannot_skip_review(started, responder, manager):
    with pytest.raises(InvalidTransition, match="only from in_review"):
        services.postmortem_review(
            actor=manager, source=WEB, postmortem=_ready(started, responder), status="published"
        )


def test_a_reviewer_can_send_it_back_to_draft(started, responder, manager):
    postmortem = _ready(started, responder)
    services.postmortem_review(
        actor=responder, source=WEB, postmortem=postmortem, status="in_review", reviewers=["manny"]
    )
    postmortem = services.postmortem_review(
        actor=manager, source=WEB, postmortem=postmortem, status="draft", reason="add the timeline"
    )
    assert postmortem.status == "draft"


def test_a_published_postmortem_is_no_longer_edited(started, responder, manager):
    postmortem = _ready(started, responder)
    services.postmortem_review(
        actor=responder, source=WEB, postmortem=postmortem, status="in_review", reviewers=["manny"]
    )
    services.postmortem_review(actor=manager, source=WEB, postmortem=postmortem, status="published")
    with pytest.raises(InvalidTransition, match="published"):
        services.postmortem_edit(
            actor=responder, source=WEB, postmortem=postmortem, sections={"summary": "late"}
        )


def test_an_incident_that_needs_a_postmortem_closes_once_it_is_published(
    started, responder, manager
):
    postmortem = _ready(started, responder)
    incident = postmortem.incident
    with pytest.raises(InvalidTransition, match="postmortem published"):
        incident_set_status(actor=manager, source=WEB, incident=incident, status="closed")
    services.postmortem_review(
        actor=responder, source=WEB, postmortem=postmortem, status="in_review", reviewers=["manny"]
    )
    services.postmortem_review(actor=manager, source=WEB, postmortem=postmortem, status="published")
    closed = incident_set_status(actor=manager, source=WEB, incident=incident, status="closed")
    assert closed.status == "closed" and closed.postmortem_waiver_reason == ""


def test_a_trivial_incident_still_closes_with_a_waiver(resolved, manager):
    incident = resolved(severity="trivial")
    closed = incident_set_status(actor=manager, source=WEB, incident=incident, status="closed")
    assert closed.status == "closed" and "not required" in closed.postmortem_waiver_reason


def test_admins_add_taxonomy_terms_and_others_may_not(admin, manager):
    term = services.taxonomy_term_create(
        actor=admin, source=WEB, key="capacity_limit", definition="We ran out of headroom."
    )
    assert term.key == "CAPACITY_LIMIT" and not term.built_in
    with pytest.raises(ValidationError, match="already exists"):
        services.taxonomy_term_create(actor=admin, source=WEB, key="CAPACITY_LIMIT", definition="x")
    with pytest.raises(PermissionDenied):
        services.taxonomy_term_create(actor=manager, source=WEB, key="OTHER", definition="x")
    assert TaxonomyTerm.objects.filter(built_in=True).count() == 15


def test_the_built_in_templates_exist_with_their_sections(db):
    blameless = {t.key: t for t in selectors.templates()}["blameless"]
    keys = [s["key"] for s in blameless.sections]
    for key in ("summary", "impact", "timeline", "cause", "five_whys", "causing_change"):
        assert key in keys
    assert {"solution", "went_well", "discussion", "lessons", "conclusion", "actions"} <= set(keys)
    assert selectors.templates().filter(key="technology_incident_report").exists()


def test_facts_are_computed_when_shown_not_stored(started):
    postmortem = started()
    assert "impact" not in postmortem.sections
    assert timezone.now()  # the facts section has no stored copy to go stale
