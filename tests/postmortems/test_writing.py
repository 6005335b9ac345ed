"""Writing a postmortem loses nothing: a part someone else changed since the writer read it is
refused instead of overwritten, saving as one types leaves one timeline entry, and the page's
answers put each refusal at its field as a sentence."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.errors import InvalidTransition
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import TimelineEntry
from incidentdesk.postmortems import services
from incidentdesk.postmortems.models import Postmortem

WEB = ActionSource.WEB


def edit(postmortem, actor, *, base=None, source=WEB, **changes):
    return services.postmortem_edit(
        actor=actor, source=source, postmortem=postmortem, base=base, **changes
    )


def base_of(postmortem, part: str) -> str:
    postmortem = Postmortem.objects.get(pk=postmortem.pk)
    return services.fingerprint(services.part_value(postmortem, part))


def test_a_part_someone_else_saved_since_is_refused_and_kept(started, responder, manager):
    postmortem = started()
    mine = base_of(postmortem, "sections.summary")
    edit(postmortem, manager, sections={"summary": "Theirs."})
    with pytest.raises(InvalidTransition) as refused:
        edit(postmortem, responder, base={"sections.summary": mine}, sections={"summary": "Mine."})
    assert refused.value.field == "sections.summary"
    assert "someone else saved a change to this part" in refused.value.message
    assert Postmortem.objects.get().sections["summary"] == "Theirs."


def test_a_save_from_the_value_it_started_from_is_written(started, responder):
    postmortem = started()
    first = base_of(postmortem, "public_cause")
    edit(postmortem, responder, base={"public_cause": first}, public_cause="A full disk.")
    second = base_of(postmortem, "public_cause")
    assert second != first
    edit(postmortem, responder, base={"public_cause": second}, public_cause="A full log disk.")
    assert Postmortem.objects.get().public_cause == "A full log disk."


def test_another_part_changed_meanwhile_does_not_block_a_save(started, responder, manager):
    postmortem = started()
    mine = base_of(postmortem, "sections.summary")
    edit(postmortem, manager, sections={"lessons": "Theirs."})
    edit(postmortem, responder, base={"sections.summary": mine}, sections={"summary": "Mine."})
    saved = Postmortem.objects.get().sections
    assert saved["summary"] == "Mine." and saved["lessons"] == "Theirs."


def test_a_change_that_already_says_the_same_is_no_conflict(started, responder, manager):
    postmortem = started()
    mine = base_of(postmortem, "taxonomy")
    edit(postmortem, manager, taxonomy="MISSING_TEST")
    edit(postmortem, responder, base={"taxonomy": mine}, taxonomy="missing_test")
    assert Postmortem.objects.get().taxonomy_tree == "MISSING_TEST"


def test_saving_as_one_types_leaves_one_timeline_entry(started, responder, manager):
    postmortem = started()
    for text in ("C", "Ch", "Checkout failed."):
        edit(postmortem, responder, sections={"summary": text})
    entries = TimelineEntry.objects.filter(body="Postmortem edited: summary")
    assert entries.count() == 1
    # Another person, another door or another part is its own entry.
    edit(postmortem, manager, sections={"summary": "Checkout failed for all."})
    edit(postmortem, manager, source=ActionSource.API, sections={"summary": "Checkout failed!"})
    edit(postmortem, manager, source=ActionSource.API, sections={"lessons": "Canaries."})
    assert TimelineEntry.objects.filter(body__startswith="Postmortem edited").count() == 4
    # Later than the window, the same save is told again.
    earlier = timezone.now() - services.EDIT_ENTRY_WINDOW - timedelta(minutes=1)
    TimelineEntry.objects.update(occurred_at=earlier)
    edit(postmortem, manager, source=ActionSource.API, sections={"lessons": "Canaries first."})
    assert TimelineEntry.objects.filter(body__startswith="Postmortem edited").count() == 5


@pytest.fixture
def page_of(started, client, responder):
    def make():
        postmortem = started()
        client.force_login(responder)
        return postmortem, f"/incidents/{postmortem.incident.reference}/postmortem"

    return make


def test_a_part_saved_from_the_page_answers_its_status_and_new_fingerprint(page_of, client):
    postmortem, url = page_of()
    base = base_of(postmortem, "sections.summary")
    answer = client.post(
        f"{url}/edit",
        {
            "part": "section",
            "key": "summary",
            "text": "Checkout failed.",
            "base.sections.summary": base,
        },
        HTTP_HX_REQUEST="true",
    )
    body = answer.content.decode()
    assert answer.status_code == 200
    assert body.rstrip().endswith("</time>") and "Saved <time datetime=" in body
    fresh = base_of(postmortem, "sections.summary")
    assert f'id="base-sections-summary" name="base.sections.summary" value="{fresh}"' in body
    assert (
        '<p class="error pm-field-error" id="err-sections-summary" hx-swap-oob="true"></p>' in body
    )
    assert "<p>Checkout failed.</p>" in body  # the section as saved, shown above its editor


def test_a_refused_part_is_said_at_its_field_and_kept_without_the_script(page_of, client):
    postmortem, url = page_of()
    answer = client.post(
        f"{url}/edit",
        {"part": "five_whys", "why": ["", "Why a lock?"], "because": ["A deploy.", ""]},
    )
    body = answer.content.decode()
    assert answer.status_code == 422
    assert '<p class="error pm-field-error" id="err-five_whys">Why 1 is required.</p>' in body
    assert 'value="A deploy."' in body and 'value="Why a lock?"' in body  # what was typed stays
    assert Postmortem.objects.get().five_whys == []


def test_a_conflict_from_the_page_is_not_saved_with_the_reason(page_of, client, manager):
    postmortem, url = page_of()
    stale = base_of(postmortem, "public_impact")
    edit(postmortem, manager, public_impact="Theirs.")
    answer = client.post(
        f"{url}/edit",
        {"part": "public", "public_impact": "Mine.", "base.public_impact": stale},
        HTTP_HX_REQUEST="true",
    )
    body = answer.content.decode()
    assert answer.status_code == 409
    assert body.endswith(
        "Not saved: Someone else saved a change to this part after you opened the page; copy "
        "your text, reload the page and merge the two.</span>"
    )
    assert 'id="err-public_impact" hx-swap-oob="true">Someone else saved' in body


def test_the_picker_sends_one_term_a_level(page_of, client):
    postmortem, url = page_of()
    client.post(
        f"{url}/edit", {"part": "taxonomy", "term": ["data_quality", "", "FAILED_MIGRATION", ""]}
    )
    assert Postmortem.objects.get().taxonomy_tree == "DATA_QUALITY < FAILED_MIGRATION"
    page = client.get(url).content.decode()
    assert (
        '<option value="MISSING_ALERT" data-definition="No alert fired although the failure was '
        'measurable.">MISSING_ALERT — No alert fired although the failure was measurable.</option>'
    ) in page
    assert '<input name="taxonomy"' not in page  # nothing to type


def test_people_are_picked_and_a_refusal_is_said_at_the_picker(page_of, client, make_user):
    make_user(username="gone", is_active=False)
    postmortem, url = page_of()
    page = client.get(url).content.decode()
    assert 'value="gone"' not in page  # only active accounts are offered
    answer = client.post(f"{url}/followups", {"title": "Add a canary", "owner": ""})
    body = answer.content.decode()
    assert answer.status_code == 422
    owner_error = "Name the one person who owns it."
    assert f'<p class="error pm-field-error" id="err-followup_owner">{owner_error}</p>' in body
    assert 'value="Add a canary"' in body
    answer = client.post(f"{url}/review", {"status": "in_review"})
    assert (
        '<p class="error pm-field-error" id="err-review_reviewers">Name at least one reviewer to '
        "send it for review.</p>"
    ) in answer.content.decode()
    soon = f"{timezone.localtime() + timedelta(days=2):%Y-%m-%dT10:00}"
    answer = client.post(
        f"{url}/meeting",
        {
            "starts_at": soon,
            "duration_minutes": "60",
            "attendees": ["rita", "nobody"],
        },
    )
    assert answer.status_code == 404  # a person not found, said at the people picker
    said = 'id="err-meeting_attendees">No active user &#x27;nobody&#x27;.</p>'
    assert said in answer.content.decode()
