"""Forms of the status page: publishing from an incident, the internal overview and the public
subscribe form. They only parse input; the services check every rule and their errors land on
these forms' fields."""

from django import forms

from incidentdesk.incidents.forms import blank_choice, datetime_field, url_field
from incidentdesk.incidents.models import Component, ComponentStatus
from incidentdesk.statuspage.affected import FIRST_STATUS, first_statuses
from incidentdesk.statuspage.models import BannerKind, PublicStatus
from incidentdesk.statuspage.rules import IMPACT_ORDER

OPEN_STATUSES = [
    (s.value, s.label)
    for s in (PublicStatus.INVESTIGATING, PublicStatus.IDENTIFIED, PublicStatus.MONITORING)
]
IMPACTS = blank_choice([(i, i.capitalize()) for i in IMPACT_ORDER], "From the components")
MESSAGE = forms.Textarea(attrs={"rows": 3})


def leaf_components():
    """Components a status can be given to: groups show their children's worst status, so
    they are not chosen themselves."""
    return (
        Component.objects.select_related("group")
        .exclude(public_id=None)
        .exclude(pk__in=Component.objects.filter(group__isnull=False).values("group_id"))
    )


class ComponentStatusField(forms.ChoiceField):
    """The select for one component's status; it keeps the component, whose current status
    the form shows beside the label."""

    def __init__(self, component: Component, blank_label: str) -> None:
        super().__init__(
            required=False,
            label=str(component),
            choices=blank_choice(ComponentStatus.choices, blank_label),
        )
        self.component = component


class ComponentStatusesForm(forms.Form):
    """A form with one select per component (`component_<public id>`): blank = not affected /
    no change. The choices come from the database when the form is built."""

    blank_label = "Not affected"

    def add_component_fields(self) -> None:
        self.component_names: list[str] = []
        for component in leaf_components():
            name = f"component_{component.public_id}"
            self.fields[name] = ComponentStatusField(component, self.blank_label)
            self.component_names.append(name)

    def component_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.component_names]

    def components(self) -> dict[str, str]:
        """{public id: status} for the components given a status."""
        return {
            name.removeprefix("component_"): self.cleaned_data[name]
            for name in self.component_names
            if self.cleaned_data.get(name)
        }


class PublishForm(ComponentStatusesForm):
    # Never prefilled with the internal title: what the public reads is written on purpose.
    name = forms.CharField(
        label="Public name", max_length=200, help_text="What users read; not the internal title."
    )
    message = forms.CharField(widget=MESSAGE, help_text="The first public update.")
    status = forms.ChoiceField(choices=OPEN_STATUSES, initial=PublicStatus.IDENTIFIED)
    impact = forms.ChoiceField(required=False, choices=IMPACTS, label="Impact override")
    workaround = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    workaround_url = url_field("Workaround documentation link")
    notify_subscribers = forms.BooleanField(required=False, initial=True)
    remind = forms.BooleanField(
        required=False, initial=True, label="Remind the lead when no update is posted"
    )
    remind_interval_minutes = forms.IntegerField(
        required=False,
        min_value=5,
        max_value=1440,
        label="Remind after (minutes)",
        help_text="Empty: the incident's severity's reminder interval.",
    )

    new_component = forms.CharField(
        required=False,
        max_length=100,
        label="New component",
        help_text="Not in the list? Name it: it is added to the catalog and to this publication.",
    )
    new_component_group = forms.ChoiceField(required=False, label="In group", choices=())
    new_component_status = forms.ChoiceField(
        required=False,
        label="Its public status",
        choices=ComponentStatus.choices,
        initial=FIRST_STATUS,
    )

    def __init__(self, *args, incident=None, **kwargs):
        kwargs.setdefault("auto_id", "pub_%s")
        super().__init__(*args, **kwargs)
        self.add_component_fields()
        self.fields["new_component_group"].choices = blank_choice(
            [(str(c.pk), c.name) for c in Component.objects.filter(group__isnull=True)],
            "No group",
        )
        if incident is not None and not self.is_bound:
            # The form starts from the incident's components (affected.py).
            for key, status in first_statuses(incident.components.all()).items():
                if f"component_{key}" in self.fields:
                    self.initial[f"component_{key}"] = status

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        new = None
        if data["new_component"].strip():
            new = {
                "name": data["new_component"],
                "group": data["new_component_group"] or None,
                "status": data["new_component_status"] or FIRST_STATUS,
            }
        return {
            "new_component": new,
            "name": data["name"],
            "message": data["message"],
            "status": data["status"],
            "components": self.components(),
            "impact": data["impact"] or None,
            "workaround": data["workaround"],
            "workaround_url": data["workaround_url"],
            "notify_subscribers": data["notify_subscribers"],
            "remind": data["remind"],
            "remind_interval_minutes": data["remind_interval_minutes"],
        }


class PublicUpdateForm(ComponentStatusesForm):
    blank_label = "No change"
    status = forms.ChoiceField(choices=OPEN_STATUSES)
    message = forms.CharField(widget=MESSAGE)
    notify = forms.BooleanField(required=False, initial=True, label="Notify subscribers")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "upd_%s")
        super().__init__(*args, **kwargs)
        self.add_component_fields()


class ResolveForm(forms.Form):
    message = forms.CharField(
        widget=MESSAGE, initial="This incident has been resolved.", label="Closing message"
    )
    restore_components = forms.BooleanField(
        required=False, initial=True, label="Return the affected components to operational"
    )
    notify = forms.BooleanField(required=False, initial=True, label="Notify subscribers")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "res_%s")
        super().__init__(*args, **kwargs)


class ComponentStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ComponentStatus.choices)


class MaintenanceForm(forms.Form):
    name = forms.CharField(max_length=200)
    message = forms.CharField(widget=MESSAGE, help_text="What will happen and what users notice.")
    scheduled_for = datetime_field("Starts")
    scheduled_until = datetime_field("Ends")
    components = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    auto_transition = forms.BooleanField(
        required=False, initial=True, label="Start and complete at the scheduled times"
    )
    remind_prior = forms.BooleanField(
        required=False, initial=True, label="Remind subscribers an hour before"
    )
    notify_subscribers = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "mnt_%s")
        super().__init__(*args, **kwargs)
        self.fields["components"].choices = [(c.public_id, str(c)) for c in leaf_components()]


class MaintenanceUpdateForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (s.value, s.label)
            for s in (PublicStatus.IN_PROGRESS, PublicStatus.VERIFYING, PublicStatus.COMPLETED)
        ]
    )
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    notify = forms.BooleanField(required=False, initial=True, label="Notify subscribers")


class BannerForm(forms.Form):
    active = forms.BooleanField(required=False, label="Show the banner")
    kind = forms.ChoiceField(choices=BannerKind.choices)
    message = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "banner_%s")
        super().__init__(*args, **kwargs)


class PageSettingsForm(forms.Form):
    """The public page's name and logo (statuspage/appearance.py checks and stores them)."""

    name = forms.CharField(
        label="Page name", max_length=100, help_text="The title of every public page."
    )
    logo = forms.FileField(
        required=False,
        label="Logo",
        help_text="A PNG, JPEG or WebP image of at most 1 MB (no SVG); shown at the top of "
        "every public page, with the page name as its text.",
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the logo")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "page_%s")
        super().__init__(*args, **kwargs)


class SubscribeForm(forms.Form):
    """The public subscribe form. `website` is a honeypot: people never see it."""

    email = forms.CharField(required=False, max_length=254)
    url = forms.CharField(required=False, max_length=500)
    components = forms.MultipleChoiceField(required=False, choices=())
    website = forms.CharField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["components"].choices = [
            (c.public_id, str(c)) for c in leaf_components().filter(showcase=True)
        ]
