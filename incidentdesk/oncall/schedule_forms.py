"""The web forms of the schedule pages. They only parse: the services check the values and
name the field they refuse."""

from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from django import forms

from incidentdesk.accounts.models import User
from incidentdesk.core.errors import ValidationError
from incidentdesk.core.web import parsed
from incidentdesk.oncall.models import Layer, RotationUnit
from incidentdesk.oncall.resolution import END_OF_DAY

WEEKDAYS = [
    (1, "Monday"),
    (2, "Tuesday"),
    (3, "Wednesday"),
    (4, "Thursday"),
    (5, "Friday"),
    (6, "Saturday"),
    (7, "Sunday"),
]


def zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(available_timezones())]


class ScheduleForm(forms.Form):
    name = forms.CharField(max_length=100)
    time_zone = forms.ChoiceField(
        label="Time zone", help_text="Hand-offs and restrictions are read on this clock."
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zone_choices()  # type: ignore[attr-defined]


class LayerForm(forms.Form):
    name = forms.CharField(required=False, max_length=100, label="Layer name")
    people = forms.CharField(
        label="People, in turn",
        help_text="Usernames separated by commas, in the order they take turns.",
    )
    rotation_start = forms.DateField(
        label="First turn on", widget=forms.DateInput(attrs={"type": "date"})
    )
    handoff_time = forms.TimeField(
        label="Hand-off time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    rotation_length = forms.IntegerField(
        label="Each turn lasts", min_value=1, initial=1, widget=forms.NumberInput(attrs={"min": 1})
    )
    rotation_unit = forms.ChoiceField(label="Unit", choices=RotationUnit.choices, initial="days")
    days = forms.TypedMultipleChoiceField(
        label="Only on",
        required=False,
        coerce=int,
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave every day unticked for a layer that is always on.",
    )
    window_start = forms.CharField(
        label="From", required=False, widget=forms.TimeInput(attrs={"placeholder": "09:00"})
    )
    window_end = forms.CharField(
        label="Until",
        required=False,
        widget=forms.TimeInput(attrs={"placeholder": "17:00"}),
        help_text="24:00 for midnight.",
    )

    @classmethod
    def for_layer(cls, layer: Layer, names: dict[int, str], **kwargs) -> "LayerForm":
        windows = layer.restrictions or []
        first = windows[0] if windows else {}
        initial = {
            "name": layer.name,
            "people": ", ".join(names.get(pk, str(pk)) for pk in layer.people),
            "rotation_start": layer.rotation_start,
            "handoff_time": layer.handoff_time,
            "rotation_length": layer.rotation_length,
            "rotation_unit": layer.rotation_unit,
            "days": sorted({w["weekday"] for w in windows}),
            "window_start": first.get("start", ""),
            "window_end": first.get("end", ""),
        }
        form = cls(initial=initial, prefix=f"layer-{layer.pk}", **kwargs)
        if len({(w["start"], w["end"]) for w in windows}) > 1:
            # The form has one pair of hours for all the days ticked.
            form.fields["days"].help_text = (
                "This layer's hours differ from day to day; saving here gives every day ticked "
                "the hours below. Use the API or the command line to keep them different."
            )
        return form

    def layer_fields(self) -> dict:
        """The service's arguments, or a ValidationError naming the form field."""
        data = parsed(self)
        start, end = data["window_start"].strip(), data["window_end"].strip()
        if data["days"] and not (start and end):
            raise ValidationError(
                "give the hours of the days ticked",
                field="window_start" if not start else "window_end",
            )
        if (start or end) and not data["days"]:
            raise ValidationError("tick the days these hours are for", field="days")
        return {
            "name": data["name"],
            "people": [p.strip() for p in data["people"].split(",") if p.strip()],
            "rotation_start": data["rotation_start"],
            "handoff_time": data["handoff_time"],
            "rotation_length": data["rotation_length"],
            "rotation_unit": data["rotation_unit"],
            "restrictions": [
                {"weekday": day, "start": start, "end": END_OF_DAY if end == END_OF_DAY else end}
                for day in data["days"]
            ],
        }


class OverrideForm(forms.Form):
    user = forms.TypedChoiceField(coerce=int, label="Who")
    start = forms.DateTimeField(
        label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    end = forms.DateTimeField(
        label="Until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, zone: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        people = User.objects.filter(is_active=True).order_by("username")
        self.fields["user"].choices = [  # type: ignore[attr-defined]
            ("", "Pick a person"),
            *((u.pk, u.username) for u in people),
        ]
        self.zone = ZoneInfo(zone)
        for name in ("start", "end"):
            self.fields[name].help_text = f"In {zone}."

    def local(self, value: datetime) -> datetime:
        """A time typed on the schedule's clock, as an instant (Django reads it in the site's
        zone; the wall time is what the person meant)."""
        return value.replace(tzinfo=None).replace(tzinfo=self.zone)
