"""Runbooks as data: admins write them for a system or as templates; bad input is refused naming
the field and storing nothing; a disaster copies the system's runbook, else the built-in one."""

import pytest

from incidentdesk.core.errors import NotFound, PermissionDenied, ValidationError
from incidentdesk.recovery.models import RunbookStep, RunbookTemplate, StepKind, TemplateStep
from incidentdesk.recovery.runbooks import (
    DEFAULT_VERIFICATION,
    STANDARD_STEPS,
    runbook_instantiate,
    runbook_template_create,
    runbook_template_delete,
    runbook_template_update,
)
from incidentdesk.recovery.systems import UNSET
from tests.recovery.conftest import WEB
from tests.recovery.test_runbook_steps import strike  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

FAILOVER = [
    {"title": "Freeze writes", "standard": "contain", "owner": "olga"},
    {
        "title": "Promote the replica",
        "standard": "restore_data",
        "webhook_url": "https://ops.example.com/promote",
    },
    {"title": "Invoices add up", "kind": "verification", "owner": "sam"},
]


def rows(template: RunbookTemplate) -> list[tuple]:
    return list(
        TemplateStep.objects.filter(template=template).values_list(
            "position", "title", "kind", "standard", "owner__username", "webhook_url"
        )
    )


def test_the_standard_steps_are_the_four_of_a_recovery_in_order():
    assert [standard for standard, _ in STANDARD_STEPS] == [
        "contain",
        "restore_data",
        "deploy",
        "switch_dns",
    ]
    assert STANDARD_STEPS[3][1] == "Switch DNS to the new environment"


def test_a_runbook_written_without_steps_starts_from_the_built_in_one(admin):
    template = runbook_template_create(actor=admin, source=WEB, name="Any system")
    assert [(kind, standard) for _, _, kind, standard, _, _ in rows(template)] == [
        ("recovery", "contain"),
        ("recovery", "restore_data"),
        ("recovery", "deploy"),
        ("recovery", "switch_dns"),
        ("verification", ""),
    ]
    assert rows(template)[4][1] == DEFAULT_VERIFICATION
    assert template.system is None and template.created_by == admin


def test_an_admin_writes_a_systems_runbook_with_owners_and_a_webhook(admin, billing, olga, sam):
    template = runbook_template_create(
        actor=admin,
        source=WEB,
        name="Billing failover",
        system="billing",
        description="From the replica in the other region",
        steps=FAILOVER,
    )
    template.refresh_from_db()
    assert (template.name, template.system, template.description) == (
        "Billing failover",
        billing,
        "From the replica in the other region",
    )
    assert rows(template) == [
        (1, "Freeze writes", "recovery", "contain", "olga", ""),
        (2, "Promote the replica", "recovery", "restore_data", None, FAILOVER[1]["webhook_url"]),
        (3, "Invoices add up", "verification", "", "sam", ""),
    ]


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ([], "steps"),
        ("Freeze writes", "steps"),
        ([{"title": "Freeze writes"}], "steps"),  # no verification step
        ([{"title": "Check", "kind": "verification"}, "Freeze writes"], "steps[1]"),
        ([{"title": "Check", "kind": "verification"}, {"title": "  "}], "steps[1].title"),
        ([{"title": "Check", "kind": "test"}], "steps[0].kind"),
        ([{"title": "Check", "kind": "verification", "standard": "reboot"}], "steps[0].standard"),
        ([{"title": "Check", "kind": "verification", "owner": "nobody"}], "steps[0].owner"),
        ([{"title": "x" * 201, "kind": "verification"}], "steps[0].title"),
        (
            [{"title": "Hook", "kind": "verification", "webhook_url": "http://ops.example.com/"}],
            "steps[0].webhook_url",
        ),
        (
            [
                {
                    "title": "Hook",
                    "kind": "verification",
                    "webhook_url": "https://u:p@ops.example.com/",
                }
            ],
            "steps[0].webhook_url",
        ),
    ],
)
def test_a_bad_runbook_is_refused_naming_the_step_and_storing_nothing(admin, olga, steps, field):
    with pytest.raises(ValidationError) as refused:
        runbook_template_create(actor=admin, source=WEB, name="Bad", steps=steps)
    assert refused.value.field == field
    assert not RunbookTemplate.objects.exists() and not TemplateStep.objects.exists()


def test_a_webhook_that_reaches_our_own_network_is_refused(admin, settings):
    settings.WEBHOOKS_ALLOW_HTTP = True
    steps = [{"title": "Check", "kind": "verification", "webhook_url": "http://127.0.0.1:9/"}]
    with pytest.raises(ValidationError) as refused:
        runbook_template_create(actor=admin, source=WEB, name="Inside", steps=steps)
    assert refused.value.field == "steps[0].webhook_url"
    assert "loopback" in refused.value.message
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    runbook_template_create(actor=admin, source=WEB, name="Inside", steps=steps)


def test_only_admins_write_runbooks(admin, manager, responder):
    for someone in (manager, responder):
        with pytest.raises(PermissionDenied):
            runbook_template_create(actor=someone, source=WEB, name="Mine")
    template = runbook_template_create(actor=admin, source=WEB, name="Theirs")
    with pytest.raises(PermissionDenied):
        runbook_template_update(actor=manager, source=WEB, template=template, name="Mine")
    with pytest.raises(PermissionDenied):
        runbook_template_delete(actor=manager, source=WEB, template=template)
    assert list(RunbookTemplate.objects.values_list("name", flat=True)) == ["Theirs"]


def test_runbook_names_are_unique_whatever_their_case(admin):
    runbook_template_create(actor=admin, source=WEB, name="Failover")
    with pytest.raises(ValidationError) as refused:
        runbook_template_create(actor=admin, source=WEB, name="FAILOVER")
    assert refused.value.field == "name"
    with pytest.raises(ValidationError) as unknown:
        runbook_template_create(actor=admin, source=WEB, name="Other", system="Nowhere")
    assert unknown.value.field == "system"
    assert RunbookTemplate.objects.count() == 1


def test_an_update_changes_what_is_given_and_replaces_the_steps(admin, billing, olga, sam):
    template = runbook_template_create(actor=admin, source=WEB, name="Billing", system=billing)
    runbook_template_update(
        actor=admin, source=WEB, template=template, description="Rewritten", steps=FAILOVER
    )
    template.refresh_from_db()
    assert (template.name, template.system, template.description) == (
        "Billing",
        billing,
        "Rewritten",
    )
    assert [title for _, title, *_ in rows(template)] == [s["title"] for s in FAILOVER]
    runbook_template_update(actor=admin, source=WEB, template=template, system=None, name=UNSET)
    template.refresh_from_db()
    assert template.system is None and len(rows(template)) == 3


def test_a_refused_update_changes_nothing(admin, olga, sam):
    template = runbook_template_create(actor=admin, source=WEB, name="Billing", steps=FAILOVER)
    before = rows(template)
    with pytest.raises(ValidationError) as refused:
        runbook_template_update(
            actor=admin,
            source=WEB,
            template=template,
            name="Renamed",
            steps=[{"title": "Freeze writes"}],
        )
    assert refused.value.field == "steps"
    template.refresh_from_db()
    assert template.name == "Billing" and rows(template) == before


def test_a_deleted_runbook_is_gone_and_a_second_delete_finds_nothing(admin):
    template = runbook_template_create(actor=admin, source=WEB, name="Old")
    runbook_template_delete(actor=admin, source=WEB, template=template)
    assert not TemplateStep.objects.exists()
    with pytest.raises(NotFound):
        runbook_template_delete(actor=admin, source=WEB, template=template)


def test_a_disaster_copies_the_systems_first_runbook_by_name_and_keeps_it(
    strike,  # noqa: F811 - the fixture imported above
    admin,
    billing,
    search,
    olga,
    sam,
):
    runbook_template_create(actor=admin, source=WEB, name="Template for any")
    zulu = runbook_template_create(actor=admin, source=WEB, name="Zulu", system=billing)
    alpha = runbook_template_create(
        actor=admin, source=WEB, name="Alpha", system=billing, steps=FAILOVER
    )
    affected = strike(billing)
    copied = list(RunbookStep.objects.filter(affected=affected))
    assert [(s.position, s.title, s.owner) for s in copied] == [
        (1, "Freeze writes", olga),
        (2, "Promote the replica", None),
        (3, "Invoices add up", sam),
    ]
    assert copied[1].automated and copied[1].webhook_url == FAILOVER[1]["webhook_url"]
    # Later edits and deletions of the runbook leave the disaster's copy as it was.
    runbook_template_delete(actor=admin, source=WEB, template=alpha)
    runbook_template_update(actor=admin, source=WEB, template=zulu, steps=FAILOVER[2:])
    assert list(RunbookStep.objects.filter(affected=affected)) == copied
    # Search has no runbook of its own: the built-in one.
    other = strike(search)
    assert [s.kind for s in RunbookStep.objects.filter(affected=other)] == [
        StepKind.RECOVERY
    ] * 4 + [StepKind.VERIFICATION]


def test_instantiating_writes_only_the_steps(strike, billing, django_assert_num_queries):  # noqa: F811
    affected = strike(billing)
    RunbookStep.objects.filter(affected=affected).delete()
    with django_assert_num_queries(2):  # the system's runbook, then one insert
        steps = runbook_instantiate(affected)
    assert [s.position for s in steps] == [1, 2, 3, 4, 5]
