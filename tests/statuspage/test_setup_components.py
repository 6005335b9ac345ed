"""The incident and its publication show the same affected components, and the publish form can
add a missing component to the catalog.

The rule (statuspage/affected.py): every component a publication gives a status other than
operational is one of the incident's components; publishing or updating adds the missing ones
to the incident, on every door. The publish form starts from the incident's components."""

from io import StringIO

import pytest
from django.core.management import call_command

from incidentdesk.core.errors import PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Component, EntryKind
from incidentdesk.incidents.services import incident_update
from incidentdesk.statuspage.models import PublicIncident
from incidentdesk.statuspage.services import (
    publication_create,
    publication_resolve,
    publication_update,
)
from tests.factories import ComponentFactory

WEB = ActionSource.WEB


@pytest.fixture
def catalog(db):
    return {name: ComponentFactory(name=name) for name in ("API", "Website", "Billing")}


def names(incident) -> set[str]:
    return {c.name for c in incident.components.all()}


def publish(incident, actor, **kwargs):
    kwargs.setdefault("components", {})
    return publication_create(
        actor=actor,
        source=WEB,
        incident=incident,
        name="Card payments failing",
        message="We are looking into it.",
        **kwargs,
    )


# The components agree, on every door ----------------------------------------------------------


def _web_publish(client, incident, component):
    return client.post(
        f"/statuspage/incidents/{incident.reference}/publish",
        {
            "name": "Errors",
            "message": "Looking",
            "status": "identified",
            f"component_{component.public_id}": "partial_outage",
        },
    )


def _web_update(client, incident, component):
    return client.post(
        f"/statuspage/incidents/{incident.reference}/update",
        {
            "status": "identified",
            "message": "Worse",
            f"component_{component.public_id}": "major_outage",
            "notify": "on",
        },
    )


def _api_publish(api, incident, component):
    return api.call(
        "POST",
        f"/incidents/{incident.reference}/publication",
        {"name": "Errors", "message": "Looking", "components": {component.name: "partial_outage"}},
    )


def _api_update(api, incident, component):
    return api.call(
        "POST",
        f"/incidents/{incident.reference}/publication/updates",
        {"message": "Worse", "components": {component.name: "major_outage"}},
    )


def _cli(action, incident, component, user):
    extra = ["--name", "Errors"] if action == "publish" else []
    call_command(
        "statuspage",
        action,
        incident.reference,
        *extra,
        "--message",
        "Looking",
        "--component",
        f"{component.name}=partial_outage",
        as_user=user.username,
        stdout=StringIO(),
    )


@pytest.mark.parametrize("door", ["web", "api", "cli"])
def test_publishing_with_a_component_adds_it_to_the_incident_on_every_door(
    door, catalog, incident, responder, client, api_client
):
    client.force_login(responder)
    if door == "web":
        assert _web_publish(client, incident, catalog["API"]).status_code == 302
    elif door == "api":
        assert _api_publish(api_client(responder), incident, catalog["API"]).status_code == 201
    else:
        _cli("publish", incident, catalog["API"], responder)
    assert names(incident) == {"API"}
    entry = incident.timeline.filter(kind=EntryKind.FIELD_CHANGE).get()
    assert "components" in entry.body and entry.author == responder
    assert entry.source == ("cli" if door == "cli" else door)


@pytest.mark.parametrize("door", ["web", "api", "cli"])
def test_an_update_giving_another_component_a_status_adds_it_to_the_incident_on_every_door(
    door, catalog, incident, responder, client, api_client
):
    publish(incident, responder, components={catalog["API"].public_id: "partial_outage"})
    client.force_login(responder)
    if door == "web":
        assert _web_update(client, incident, catalog["Billing"]).status_code == 302
    elif door == "api":
        assert _api_update(api_client(responder), incident, catalog["Billing"]).status_code == 201
    else:
        _cli("update", incident, catalog["Billing"], responder)
    assert names(incident) == {"API", "Billing"}


def test_a_component_published_as_operational_does_not_join_the_incident(
    catalog, incident, responder
):
    publish(incident, responder, components={catalog["Website"].public_id: "operational"})
    assert names(incident) == set()


def test_the_incident_may_name_more_components_than_the_page_and_they_stay_internal(
    catalog, incident, responder
):
    incident_update(
        actor=responder,
        source=WEB,
        incident=incident,
        changes={"components": ["API", "Billing"]},
    )
    publication = publish(
        incident, responder, components={catalog["API"].public_id: "major_outage"}
    )
    assert {a.component.name for a in publication.affected.all()} == {"API"}
    assert names(incident) == {"API", "Billing"}


def test_resolving_publicly_does_not_put_back_a_component_taken_off_the_incident(
    catalog, incident, responder
):
    publication = publish(
        incident, responder, components={catalog["API"].public_id: "major_outage"}
    )
    incident_update(actor=responder, source=WEB, incident=incident, changes={"components": []})
    publication_resolve(actor=responder, source=WEB, public_incident=publication, message="Done")
    assert names(incident) == set()
    assert Component.objects.get(name="API").status == "operational"


def test_a_refused_update_adds_nothing_to_the_incident(catalog, incident, responder):
    publication = publish(incident, responder)
    with pytest.raises(ValidationError):
        publication_update(
            actor=responder,
            source=WEB,
            public_incident=publication,
            message="",
            components={catalog["API"].public_id: "major_outage"},
        )
    assert names(incident) == set()


def test_a_disaster_s_public_change_adds_its_components_to_the_incident(
    incident, responder, manager, admin
):
    """The disaster door: a decision-maker's public change publishes through the same
    services, so the incident takes the components it puts on the page."""
    from incidentdesk.recovery.public import public_apply, public_preview
    from incidentdesk.recovery.services import disaster_declare
    from incidentdesk.recovery.systems import system_create

    system_create(
        actor=admin,
        source=WEB,
        name="Billing",
        owner=manager,
        rto_minutes=60,
        rpo_minutes=15,
        components=[ComponentFactory(name="Invoices"), ComponentFactory(name="Payments API")],
    )
    disaster = disaster_declare(actor=responder, source=WEB, incident=incident, systems=["Billing"])
    affected = disaster.systems.get()
    change = public_preview(affected, "read_only")
    public_apply(actor=manager, source=WEB, affected=affected, change=change)
    assert names(incident) == {"Invoices", "Payments API"}


# The publish form starts from the incident and shows the agreement -----------------------------


def test_the_publish_form_starts_from_the_incident_s_components(
    catalog, incident, client, responder
):
    catalog["Billing"].status = "partial_outage"
    catalog["Billing"].save()
    incident_update(
        actor=responder,
        source=WEB,
        incident=incident,
        changes={"components": ["API", "Billing"]},
    )
    client.force_login(responder)
    html = client.get(f"/incidents/{incident.reference}").content.decode()
    form = html[html.index('id="pub_name"') :]

    def chosen(component):
        select = form[form.index(f'id="pub_component_{component.public_id}"') :]
        select = select[: select.index("</select>")]
        return select[select.index("selected") - 30 : select.index("selected")]

    assert 'value="degraded_performance"' in chosen(catalog["API"])  # operational now
    assert 'value="partial_outage"' in chosen(catalog["Billing"])  # already shows it
    assert (
        'value="" selected' in form[form.index(f"pub_component_{catalog['Website'].public_id}") :]
    )


def test_the_panel_shows_the_published_components_and_those_not_on_the_page(
    catalog, incident, client, responder
):
    incident_update(
        actor=responder,
        source=WEB,
        incident=incident,
        changes={"components": ["API", "Billing"]},
    )
    publish(incident, responder, components={catalog["API"].public_id: "major_outage"})
    client.force_login(responder)
    html = client.get(f"/incidents/{incident.reference}").content.decode()
    panel = html[html.index('id="statuspage"') :]
    assert "API: major outage" in panel
    assert "Not on the status page: Billing" in panel


# Creating a missing component while publishing ------------------------------------------------


def test_a_manager_publishes_creating_the_missing_component_in_its_group(
    catalog, incident, manager
):
    publication = publish(
        incident,
        manager,
        new_component={"name": "Card payments", "group": "Billing", "status": "major_outage"},
    )
    created = Component.objects.get(name="Card payments")
    assert created.group == catalog["Billing"] and created.public_id
    assert created.status == "major_outage"
    assert [a.component for a in publication.affected.all()] == [created]
    assert names(incident) == {"Card payments"}


def test_a_responder_may_not_create_a_component_and_is_told_naming_the_field(
    catalog, incident, responder
):
    with pytest.raises(PermissionDenied) as refused:
        publish(incident, responder, new_component={"name": "Card payments"})
    assert refused.value.field == "new_component" and refused.value.status_code == 403
    assert not Component.objects.filter(name="Card payments").exists()
    assert not PublicIncident.objects.exists()


def test_a_new_component_named_like_an_existing_one_is_refused_and_nothing_is_published(
    catalog, incident, manager
):
    with pytest.raises(ValidationError) as refused:
        publish(incident, manager, new_component={"name": "api"})
    assert refused.value.field == "new_component"
    assert not PublicIncident.objects.exists()


def test_an_unknown_group_is_refused_naming_the_group_field(catalog, incident, manager):
    with pytest.raises(Exception) as refused:
        publish(incident, manager, new_component={"name": "Cards", "group": "Nope"})
    assert refused.value.field == "new_component_group"
    assert not Component.objects.filter(name="Cards").exists()


def test_the_publish_form_offers_a_new_component_only_to_those_who_may_create_one(
    catalog, incident, client, responder, manager
):
    client.force_login(responder)
    assert (
        'name="new_component"'
        not in client.get(f"/incidents/{incident.reference}").content.decode()
    )
    client.force_login(manager)
    assert 'name="new_component"' in client.get(f"/incidents/{incident.reference}").content.decode()


def test_the_web_form_creates_the_component_and_publishes(catalog, incident, client, manager):
    client.force_login(manager)
    response = client.post(
        f"/statuspage/incidents/{incident.reference}/publish",
        {
            "name": "Card payments failing",
            "message": "Looking",
            "status": "identified",
            "new_component": "Card payments",
            "new_component_group": str(catalog["Billing"].pk),
            "new_component_status": "partial_outage",
        },
    )
    assert response.status_code == 302
    created = Component.objects.get(name="Card payments")
    assert created.group == catalog["Billing"] and created.status == "partial_outage"
    assert PublicIncident.objects.get().affected.get().component == created


def test_the_web_form_puts_a_name_clash_at_the_new_component_field(
    catalog, incident, client, manager
):
    client.force_login(manager)
    response = client.post(
        f"/statuspage/incidents/{incident.reference}/publish",
        {"name": "x", "message": "y", "status": "identified", "new_component": "API"},
    )
    assert response.status_code == 422
    assert 'id="pub_new_component_error"' in response.content.decode()


def test_a_responder_forcing_the_field_on_the_web_gets_a_403(catalog, incident, client, responder):
    client.force_login(responder)
    response = client.post(
        f"/statuspage/incidents/{incident.reference}/publish",
        {"name": "x", "message": "y", "status": "identified", "new_component": "Cards"},
    )
    assert response.status_code == 403
    assert not Component.objects.filter(name="Cards").exists()


def test_the_api_creates_a_component_for_a_manager_and_refuses_a_responder(
    catalog, incident, api_client, manager, responder
):
    body = {"name": "x", "message": "y", "new_component": {"name": "Cards", "group": "Billing"}}
    refused = api_client(responder).call(
        "POST", f"/incidents/{incident.reference}/publication", body
    )
    assert refused.status_code == 403 and "new_component" in refused.json_body["detail"]
    done = api_client(manager).call("POST", f"/incidents/{incident.reference}/publication", body)
    assert done.status_code == 201
    assert set(done.json_body["components"]) == {"Cards"}


def test_the_cli_creates_a_component_while_publishing(catalog, incident, manager):
    call_command(
        "statuspage",
        "publish",
        incident.reference,
        "--name",
        "x",
        "--message",
        "y",
        "--new-component",
        "Cards=major_outage",
        "--new-component-group",
        "Billing",
        as_user=manager.username,
        stdout=StringIO(),
    )
    created = Component.objects.get(name="Cards")
    assert created.status == "major_outage" and created.group == catalog["Billing"]
