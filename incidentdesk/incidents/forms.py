"""Web forms for incidents. They only parse input into Python values; every rule (order of
times, criteria, lengths, URLs) is checked by the services, whose errors land on these forms."""

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.utils import timezone

from incidentdesk.accounts.models import User
from incidentdesk.core.errors import ValidationError
from incidentdesk.core.web import add_service_error
from incidentdesk.incidents import rules
from incidentdesk.incidents.models import (
    AUTHORED_KINDS,
    ActionCategory,
    ActionPhase,
    ActionPriority,
    ActionStatus,
    Component,
    Criterion,
    Detection,
    EntryKind,
    IncidentKind,
    ReportMedium,
    Severity,
)
from incidentdesk.incidents.selectors import component_choices, severity_choices

# Interpreted in the current time zone (settings.TIME_ZONE) by Django, so values are tz-aware.
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def datetime_field(label: str, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


def url_field(label: str) -> forms.CharField:
    # A plain text field: the service checks the URL and names the field when it is wrong.
    return forms.CharField(
        required=False, label=label, widget=forms.URLInput(attrs={"placeholder": "https://"})
    )


def blank_choice(choices, label: str = "—") -> list[tuple[str, str]]:
    return [("", label), *choices]


def severity_help() -> str:
    return " · ".join(f"{s.name}: {s.description}" for s in Severity.objects.all() if s.description)


def person_choices(blank: str = "") -> list[tuple[str, str]]:
    people = [
        (u.username, f"{u.display_name} ({u.username})")
        for u in User.objects.filter(is_active=True)
    ]
    return blank_choice(people, blank) if blank else people


# When it started, as the declare form asks it: minutes before now, or a time typed in.
STARTED_NOW, STARTED_AT = "now", "at"
STARTED_CHOICES = [
    (STARTED_NOW, "Now"),
    ("15", "15 minutes ago"),
    ("30", "30 minutes ago"),
    ("60", "An hour ago"),
    (STARTED_AT, "At this time:"),
]


class DeclareForm(forms.Form):
    """Quick first (title, severity, what is happening, why, when it started, who leads);
    `DETAILS` are the rest, shown under "More details". When it started is a choice the form
    turns into `started_at` (and `declared_at`, the same moment it counts back from)."""

    DETAILS = (
        "kind",
        "impact",
        "components",
        "users_affected_count",
        "users_affected_description",
        "detection",
        "reported_by",
        "report_medium",
        "detected_at",
        "resolved_at",
        "tracker_url",
        "call_url",
        "chat_url",
        "cause_change_url",
        "security",
        "restricted",
    )

    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autofocus": True}))
    severity = forms.ChoiceField()
    summary = forms.CharField(
        required=False,
        label="What is happening",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Markdown. What is going on, as far as you know.",
    )
    criteria = forms.MultipleChoiceField(
        choices=Criterion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Why is this an incident?",
        help_text="Tick at least one, or write another reason below.",
    )
    criteria_reason = forms.CharField(
        required=False,
        label="Other reason",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when no criterion above applies.",
    )
    started = forms.ChoiceField(
        choices=STARTED_CHOICES,
        initial=STARTED_NOW,
        required=False,
        widget=forms.RadioSelect,
        label="When did it start?",
    )
    started_at = datetime_field("Started at")
    lead = forms.BooleanField(
        required=False,
        initial=True,
        label="I'll lead this",
        help_text="You become the incident's lead as it is declared.",
    )
    kind = forms.ChoiceField(
        choices=IncidentKind.choices,
        initial=IncidentKind.LIVE,
        required=False,  # live unless told otherwise
        widget=forms.RadioSelect,
        help_text="Retrospective: it already happened and is reported afterwards, resolved.",
    )
    impact = forms.CharField(
        required=False,
        label="What users see",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    components = forms.MultipleChoiceField(
        required=False, widget=forms.SelectMultiple(attrs={"size": 5})
    )
    security = forms.BooleanField(
        required=False, label="Security incident (a breach or a possible one)"
    )
    restricted = forms.BooleanField(
        required=False,
        label="Restricted",
        help_text="Seen only by the people taking part, admins and the security group. "
        "A security incident is always restricted.",
    )
    users_affected_count = forms.IntegerField(required=False, label="Users affected (number)")
    users_affected_description = forms.CharField(required=False, label="Who is affected")
    detection = forms.ChoiceField(required=False, choices=blank_choice(Detection.choices))
    reported_by = forms.CharField(required=False, label="Reported by")
    report_medium = forms.ChoiceField(
        required=False, choices=blank_choice(ReportMedium.choices), label="Reported through"
    )
    tracker_url = url_field("Tracker issue")
    call_url = url_field("Conference call")
    chat_url = url_field("Chat channel")
    cause_change_url = url_field("Change that caused it")
    detected_at = datetime_field("Detected", "First reported through any channel. Empty: now.")
    resolved_at = datetime_field("Resolved", "Retrospective incidents only.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No level is chosen for the declarer: least of all the most severe one.
        self.fields["severity"].choices = blank_choice(severity_choices(), "Choose…")
        self.fields["severity"].help_text = severity_help()
        self.fields["components"].choices = component_choices()
        # Typing a time ticks "At this time" (parts/forms.js).
        at = [value for value, _ in STARTED_CHOICES].index(STARTED_AT)
        self.fields["started_at"].widget.attrs["data-checks"] = f"{self['started'].auto_id}_{at}"

    def clean(self):
        data = super().clean()
        # The service's rule, asked here too so that a refused form names every missing part.
        if "criteria" in data:
            try:
                rules.check_criteria(
                    data["criteria"], data.get("criteria_reason", ""), Criterion.values
                )
            except ValidationError as exc:
                add_service_error(self, exc)  # worded as the service's refusal would be
        choice = data.get("started") or (STARTED_AT if data.get("started_at") else STARTED_NOW)
        typed = data.get("started_at")
        if choice == STARTED_AT:
            if typed is None and "started_at" not in self.errors:
                self.add_error("started_at", "give the time it started, or choose how long ago")
        elif typed is not None:
            self.add_error(
                "started_at", "choose “At this time” to use the time typed here, or clear it"
            )
        else:
            now = timezone.now()
            data["declared_at"] = now
            data["started_at"] = now - timedelta(
                minutes=0 if choice == STARTED_NOW else int(choice)
            )
        return data

    @property
    def details_open(self) -> bool:
        """Whether "More details" starts open: one of its fields has an error or a value."""
        if not self.is_bound:
            return False
        return any(name in self.errors or self._given(name) for name in self.DETAILS)

    def _given(self, name: str) -> bool:
        value = self[name].data
        return value not in (None, "", [], False) and value != self.fields[name].initial

    def service_arguments(self) -> dict:
        """The cleaned values as incident_declare takes them; empty optional values left out."""
        data = dict(self.cleaned_data)
        data.pop("started")
        data["kind"] = data["kind"] or IncidentKind.LIVE
        data["components"] = [int(pk) for pk in data["components"]]
        for name in ("started_at", "detected_at", "resolved_at", "users_affected_count"):
            if data[name] is None:
                del data[name]
        return data


class IncidentEditForm(forms.Form):
    """An inline edit of some of an incident's fields. `changes()` holds only the fields whose
    value differs from the incident's, so an untouched field records nothing."""

    def __init__(self, *args, incident, **kwargs):
        kwargs["initial"] = self.initial_from(incident)
        # Several forms share a page: keep their element ids apart.
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)

    def initial_from(self, incident) -> dict:
        return {name: getattr(incident, name) for name in self.base_fields}

    def changes(self) -> dict:
        out = {}
        for name, value in self.cleaned_data.items():
            if isinstance(value, str):
                value = value.replace("\r\n", "\n")
            old = self.initial.get(name)
            same = set(value) == set(old or []) if isinstance(value, list) else value == old
            if not same:
                out[name] = value
        return out


class DetailsEditForm(IncidentEditForm):
    id_prefix = "details"
    title = forms.CharField(max_length=200)
    severity = forms.ChoiceField()
    summary = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 5}), help_text="Markdown."
    )
    impact = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="What users see."
    )
    components = forms.MultipleChoiceField(
        required=False, widget=forms.SelectMultiple(attrs={"size": 5})
    )
    security = forms.BooleanField(required=False, label="Security incident")
    restricted = forms.BooleanField(
        required=False, label="Restricted", help_text="A security incident always is."
    )
    users_affected_count = forms.IntegerField(required=False, label="Users affected (number)")
    users_affected_description = forms.CharField(required=False, label="Who is affected")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = severity_choices()
        self.fields["components"].choices = component_choices()

    def initial_from(self, incident) -> dict:
        initial = super().initial_from(incident)
        initial["severity"] = incident.severity.key
        initial["components"] = [str(c.pk) for c in incident.components.all()]
        return initial

    def changes(self) -> dict:
        data = super().changes()
        if "components" in data:
            data["components"] = [int(pk) for pk in data["components"]]
        return data


class LinksEditForm(IncidentEditForm):
    id_prefix = "links"
    tracker_url = url_field("Tracker issue")
    call_url = url_field("Conference call")
    chat_url = url_field("Chat channel")
    cause_change_url = url_field("Change that caused it")
    fix_change_urls = forms.CharField(
        required=False,
        label="Changes that fixed it",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One URL per line.",
    )

    def initial_from(self, incident) -> dict:
        initial = super().initial_from(incident)
        initial["fix_change_urls"] = "\n".join(incident.fix_change_urls)
        return initial

    def changes(self) -> dict:
        data = super().changes()
        if "fix_change_urls" in data:
            # Lines end at "\n" only: splitlines() also breaks at U+000B, U+000C, U+001C-U+001E,
            # U+0085 and U+2028/9, which would split one URL holding them into two instead of
            # letting the text check refuse the character.
            lines = (line.strip(" \t\r") for line in data["fix_change_urls"].split("\n"))
            data["fix_change_urls"] = [line for line in lines if line]
        return data


class TimesEditForm(IncidentEditForm):
    id_prefix = "times"
    started_at = datetime_field("Started")
    detected_at = datetime_field("Detected")
    declared_at = datetime_field("Declared")
    acknowledged_at = datetime_field("Acknowledged")
    mitigated_at = datetime_field("Mitigated")
    resolved_at = datetime_field("Resolved")
    closed_at = datetime_field("Closed")

    def initial_from(self, incident) -> dict:
        # Inputs show minutes; compare at the same precision so that an untouched field is
        # not taken for a change.
        return {
            name: value.replace(second=0, microsecond=0) if value else None
            for name, value in super().initial_from(incident).items()
        }


class StatusForm(forms.Form):
    status = forms.CharField()
    reason = forms.CharField(required=False)
    message = forms.CharField(required=False)
    blocked_until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    # Resolving resolves the open publication too, unless this is ticked.
    internal_only = forms.BooleanField(required=False)


class RoleAssignForm(forms.Form):
    role = forms.CharField()
    person = forms.CharField()


class EntryForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "entry_%s")
        super().__init__(*args, **kwargs)

    kind = forms.ChoiceField(
        choices=[(k.value, k.label) for k in AUTHORED_KINDS], initial=EntryKind.NOTE
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Markdown.")
    occurred_at = datetime_field("When", "Leave empty for now; set it to back-date the entry.")


class EntryEditForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class ActionForm(forms.Form):
    title = forms.CharField(max_length=200)
    owner = forms.ChoiceField(required=False)
    due_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Follow-ups without one get the severity's default.",
    )
    priority = forms.ChoiceField(choices=ActionPriority.choices, initial=ActionPriority.MEDIUM)
    category = forms.ChoiceField(required=False, choices=blank_choice(ActionCategory.choices))
    phase = forms.ChoiceField(choices=ActionPhase.choices, initial=ActionPhase.RESPONSE)
    external_url = url_field("External ticket")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "action_%s")
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = person_choices(blank="Nobody yet")

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        if not data["due_date"]:
            del data["due_date"]
        return data


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionStatus.choices)
    wont_do_reason = forms.CharField(required=False, label="Reason (for won't do)")


class CommandForm(forms.Form):
    text = forms.CharField(max_length=20_000)


class TimelineFilterForm(forms.Form):
    """The timeline's search and filters, read from the page's query string (so a filtered
    timeline is a link to share)."""

    FIELDS = ("q", "kind", "pinned")

    q = forms.CharField(required=False, max_length=200, label="Search the timeline")
    kind = forms.ChoiceField(required=False, choices=blank_choice(EntryKind.choices, "All kinds"))
    pinned = forms.BooleanField(required=False, label="Pinned only")

    @classmethod
    def query_string(cls, query) -> str:
        """The part of `query` that is the timeline's, without empty values: `q=db&pinned=on`."""
        kept = [(name, query.get(name, "").strip()) for name in cls.FIELDS]
        return urlencode([(name, value) for name, value in kept if value])

    def filters(self) -> dict:
        """The selector's arguments (none of them when the query string is not valid)."""
        data = self.cleaned_data if self.is_valid() else {}
        kind = data.get("kind") or ""
        return {
            "text": (data.get("q") or "").strip(),
            "kinds": [kind] if kind else None,
            "pinned_only": bool(data.get("pinned")),
        }


class SeverityForm(forms.Form):
    key = forms.CharField(max_length=32, help_text="Short name used in commands, e.g. critical.")
    name = forms.CharField(max_length=64)
    position = forms.IntegerField(required=False, min_value=1, help_text="1 is the worst.")
    aliases = forms.CharField(required=False, help_text="Comma-separated, e.g. sev1, p1.")
    description = forms.CharField(required=False, max_length=300)
    pages = forms.BooleanField(required=False, label="Page the on-call responders")
    reminder_interval_minutes = forms.IntegerField(
        min_value=1, initial=60, label="Reminder every (minutes)"
    )
    postmortem_required = forms.BooleanField(
        required=False, initial=True, label="Postmortem required"
    )
    action_due_days = forms.IntegerField(min_value=1, initial=30, label="Follow-ups due in (days)")
    opens_chat_channel = forms.BooleanField(
        required=False, label="Open the incident's own chat channel when declared"
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "severity_%s")
        super().__init__(*args, **kwargs)

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        key = data.pop("key")
        if data["position"] is None:
            del data["position"]
        return {"key": key, "changes": data}


class ComponentForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, max_length=300)
    group = forms.ChoiceField(required=False, help_text="Optional: the group it belongs to.")
    position = forms.IntegerField(required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "component_%s")
        super().__init__(*args, **kwargs)
        groups = Component.objects.filter(group__isnull=True)
        self.fields["group"].choices = blank_choice(
            [(str(c.pk), c.name) for c in groups], "No group"
        )
