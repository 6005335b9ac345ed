import pytest
from django.core.exceptions import ValidationError as DjangoValidationError

from incidentdesk.core.sources import ActionSource
from incidentdesk.postmortems import present
from incidentdesk.postmortems.defaults import structure_built_in_templates
from incidentdesk.postmortems.followups import followup_create
from incidentdesk.postmortems.models import PostmortemTemplate, SectionKind, section_problem
from incidentdesk.postmortems.review import went_well_add

WEB = ActionSource.WEB
GOOD = [{"key": "summary", "title": "Summary", "help": "What happened.", "kind": "markdown"}]


@pytest.mark.parametrize(
    ("sections", "problem"),
    [
        ([], "non-empty list"),
        ({"key": "summary"}, "non-empty list"),
        (["summary"], "section 1 must be an object"),
        ([{"title": "No key"}], "needs a key"),
        ([{"key": "Root Cause"}], "needs a key"),
        (GOOD + GOOD, "used twice"),
        ([{"key": "summary", "kind": "table"}], "kind must be one of"),
        ([{"key": "summary", "colour": "red"}], "unknown fields: colour"),
        ([{"key": "summary", "title": 7}], "must be text"),
    ],
)
def test_a_template_with_a_broken_section_list_is_refused_saying_why(sections, problem):
    assert problem in section_problem(sections)


def test_a_valid_template_passes_the_admin_check(db):
    template = PostmortemTemplate(key="short", name="Short", sections=GOOD)
    template.full_clean()
    broken = PostmortemTemplate(key="broken", name="Broken", sections=[{"key": "x", "kind": "?"}])
    with pytest.raises(DjangoValidationError) as error:
        broken.full_clean()
    assert "sections" in error.value.message_dict


def test_built_in_templates_list_follow_ups_and_wins_as_structured_sections(db):
    template = PostmortemTemplate.objects.get(key="blameless")
    kinds = {s["key"]: s.get("kind") for s in template.sections}
    assert kinds["actions"] == SectionKind.ACTIONS and kinds["went_well"] == SectionKind.WENT_WELL


def test_templates_from_before_the_structured_kinds_are_upgraded_by_the_migration(db):
    template = PostmortemTemplate.objects.get(key="blameless")
    for spec in template.sections:
        if spec["key"] in ("actions", "went_well"):
            spec["kind"] = "markdown"
    template.save()
    structure_built_in_templates(PostmortemTemplate)
    template.refresh_from_db()
    kinds = {s["key"]: s["kind"] for s in template.sections}
    assert kinds["actions"] == "actions" and kinds["went_well"] == "went_well"
    assert kinds["summary"] == "markdown"


def test_the_export_lists_the_follow_ups_and_the_wins(started, responder, resolved):
    earlier = started()
    credited = followup_create(
        actor=responder, source=WEB, postmortem=earlier, title="Alert on disk", owner="rita"
    )
    postmortem = started()
    followup_create(
        actor=responder,
        source=WEB,
        postmortem=postmortem,
        title="Add a canary",
        owner="rita",
        external_url="https://tracker.example/T-9",
    )
    went_well_add(
        actor=responder,
        source=WEB,
        postmortem=postmortem,
        text="The disk alert paged early",
        action_item=credited.pk,
    )
    markdown = present.to_markdown(postmortem)
    assert "Add a canary (" in markdown and "[ticket](https://tracker.example/T-9)" in markdown
    assert f"win: #{credited.pk} “Alert on disk”, {earlier.incident.reference}" in markdown
    sections = {s["key"]: s for s in present.postmortem_json(postmortem)["sections"]}
    assert [f["title"] for f in sections["actions"]["followups"]] == ["Add a canary"]
    assert sections["went_well"]["went_well"][0]["win"]["id"] == credited.pk


def test_a_structured_section_takes_no_free_text(started, responder):
    from incidentdesk.core.errors import ValidationError
    from incidentdesk.postmortems.services import postmortem_edit

    with pytest.raises(ValidationError) as error:
        postmortem_edit(
            actor=responder, source=WEB, postmortem=started(), sections={"actions": "- fix it"}
        )
    assert error.value.field == "sections.actions"


def test_the_admin_refuses_a_taxonomy_term_key_in_the_wrong_shape(db):
    from incidentdesk.postmortems.models import TaxonomyTerm

    with pytest.raises(DjangoValidationError) as error:
        TaxonomyTerm(key="capacity limit!", definition="Too much").full_clean()
    assert "key" in error.value.message_dict
    term = TaxonomyTerm(key="capacity_limit", definition="Too much")
    term.full_clean()
    assert term.key == "CAPACITY_LIMIT"


def test_the_html_export_loads_no_remote_image(started, responder):
    from incidentdesk.postmortems.services import postmortem_edit

    result = postmortem_edit(
        actor=responder,
        source=WEB,
        postmortem=started(),
        sections={"summary": "See ![the graph](https://grafana.example/render/1.png)"},
    )
    html = present.to_html(result.postmortem)
    assert "<img" not in html
    assert (
        '<a href="https://grafana.example/render/1.png" rel="noopener noreferrer">the graph</a>'
        in html
    )
