"""Web forms of the disaster recovery pages. They only parse what was typed; the services check
every rule (allowed moves, the gate, who decides) and their errors land on these forms."""

from collections.abc import Sequence

from django import forms

from incidentdesk.accounts.models import User
from incidentdesk.incidents.models import Component, ComponentStatus
from incidentdesk.recovery.models import StepKind, StepState, System
from incidentdesk.statuspage.models import BannerKind

TEXT = {"rows": 2}


def people() -> list[tuple[str, str]]:
    return [
        (u.username, u.display_name)
        for u in User.objects.filter(is_active=True).order_by("username")
    ]


class EscalateForm(forms.Form):
    """The incident page's "Escalate to a disaster"."""

    systems = forms.MultipleChoiceField(
        label="Affected systems", widget=forms.CheckboxSelectMultiple, required=False
    )
    decision_maker = forms.ChoiceField(
        label="Decision-maker",
        required=False,
        help_text="The one person who moves each system's state. Empty: the first system's owner.",
    )
    drill = forms.BooleanField(
        label="A drill (a rehearsal: nothing public changes, kept out of statistics)",
        required=False,
    )
    planned_work = forms.CharField(
        label="Planned work stopped",
        max_length=200,
        required=False,
        help_text="The sprint or iteration this disaster stops, e.g. “Sprint 42”.",
    )
    planned_work_url = forms.URLField(
        label="Its link in the tracker", required=False, assume_scheme="https"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["systems"].choices = [(s.name, s.name) for s in System.objects.all()]
        self.fields["decision_maker"].choices = [("", "The first system's owner"), *people()]


class MoveForm(forms.Form):
    """A move of one system's state (the decision-maker's) or a proposal of it (anyone's)."""

    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs=TEXT), required=False)
    consulted = forms.CharField(
        label="Consulted",
        required=False,
        help_text="Who was asked before deciding, separated by commas.",
    )
    evidence = forms.CharField(label="Evidence", widget=forms.Textarea(attrs=TEXT), required=False)
    last_recovery_point_at = forms.DateTimeField(
        label="Last recovery point",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="The moment the restored data reaches (the backup or replica position).",
    )
    override_reason = forms.CharField(
        label="Override the verification gate because",
        widget=forms.Textarea(attrs=TEXT),
        required=False,
        help_text="Recorded, said on the timeline and shown in the postmortem.",
    )

    def consulted_names(self) -> list[str]:
        text = self.cleaned_data.get("consulted") or ""
        return [name.strip() for name in text.split(",") if name.strip()]


class PublicForm(forms.Form):
    """The public change a move offers, from public_preview, to review and edit. Its component
    fields (`component_<id>`) are added per system, and the maintenance window's end when the
    preview offers one (`maintenance=True`)."""

    publish = forms.BooleanField(label="Make this public change", required=False)
    banner_kind = forms.ChoiceField(
        label="Site banner",
        required=False,
        choices=[("", "Leave the banner as it is"), *BannerKind.choices],
    )
    banner_message = forms.CharField(label="Banner message", max_length=500, required=False)
    clear_banner = forms.BooleanField(label="Take the site banner down", required=False)
    message = forms.CharField(
        label="Public update", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    notify = forms.BooleanField(label="Tell the subscribers", required=False)

    def __init__(
        self,
        *args,
        components: Sequence[Component] = (),
        maintenance: bool = False,
        complete_maintenance: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.components = list(components)
        if complete_maintenance:
            self.fields["complete_maintenance"] = forms.BooleanField(
                label="Complete the maintenance window",
                required=False,
                help_text="The window this system's move to maintenance opened ends now.",
            )
        if maintenance:
            self.fields["maintenance_until"] = forms.DateTimeField(
                label="Maintenance window until",
                required=False,
                widget=forms.DateTimeInput(
                    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
                ),
                help_text="The status page lists a maintenance window of these components from "
                "now until then. Empty: no window.",
            )
        for component in self.components:
            self.fields[f"component_{component.pk}"] = forms.ChoiceField(
                label=component.name,
                choices=[("", "Leave as it is"), *ComponentStatus.choices],
                required=False,
            )

    def component_fields(self):
        return [self[f"component_{c.pk}"] for c in self.components]

    def data_for_service(self) -> dict | None:
        """The public_change_from_data shape, or None when nothing is to be made public."""
        data = self.cleaned_data
        if not data.get("publish"):
            return None
        kind = data.get("banner_kind") or ""
        return {
            "components": {
                str(c.pk): data[f"component_{c.pk}"]
                for c in self.components
                if data.get(f"component_{c.pk}")
            },
            "banner": {"kind": kind, "message": data.get("banner_message") or ""} if kind else None,
            "clear_banner": bool(data.get("clear_banner")),
            "message": data.get("message") or "",
            "notify": bool(data.get("notify")),
            "maintenance": {"until": until.isoformat()}
            if (until := data.get("maintenance_until"))
            else None,
            "complete_maintenance": bool(data.get("complete_maintenance")),
        }


def public_initial(change) -> dict:
    """The form's initial values from a public.PublicChange."""
    initial = {
        "publish": not change.empty,
        "clear_banner": change.clear_banner,
        "message": change.message,
        "notify": change.notify,
        "maintenance_until": change.maintenance_until,
        "complete_maintenance": change.complete_maintenance,
    }
    if change.banner:
        initial["banner_kind"], initial["banner_message"] = change.banner
    for component_id, status in change.components.items():
        initial[f"component_{component_id}"] = status
    return initial


class NoteForm(forms.Form):
    """Declining a proposal (the note is required by the service), resuming (optional)."""

    note = forms.CharField(label="Note", widget=forms.Textarea(attrs=TEXT), required=False)


class StepForm(forms.Form):
    state = forms.ChoiceField(label="State", choices=StepState.choices)
    evidence = forms.CharField(label="Evidence", widget=forms.Textarea(attrs=TEXT), required=False)
    evidence_url = forms.URLField(label="Evidence link", required=False, assume_scheme="https")
    output = forms.CharField(label="Output", widget=forms.Textarea(attrs=TEXT), required=False)
    manual_reason = forms.CharField(
        label="Done by hand because",
        required=False,
        help_text="An automated step marked done by hand says why.",
    )


class AssignForm(forms.Form):
    owner = forms.ChoiceField(label="Owner")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = people()


class PlannedWorkForm(forms.Form):
    planned_work = forms.CharField(label="Planned work stopped", max_length=200, required=False)
    planned_work_url = forms.URLField(
        label="Its link in the tracker", required=False, assume_scheme="https"
    )


class AddSystemForm(forms.Form):
    system = forms.ChoiceField(label="System")

    def __init__(self, *args, exclude=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].choices = [
            (s.name, s.name) for s in System.objects.exclude(pk__in=exclude)
        ]


# Admin pages ----------------------------------------------------------------------------------


class SystemForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    description = forms.CharField(label="Description", max_length=300, required=False)
    owner = forms.ChoiceField(
        label="Owner", help_text="The default decision-maker of this system's disasters."
    )
    rto_minutes = forms.IntegerField(
        label="Recovery time objective (minutes)",
        help_text="How long it may take to bring it back.",
    )
    rpo_minutes = forms.IntegerField(
        label="Recovery point objective (minutes)",
        help_text="How much data, counted in time, it may lose.",
    )
    components = forms.MultipleChoiceField(
        label="Status page components",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "Choose an owner"), *people()]
        self.fields["components"].choices = [
            (str(c.pk), c.name) for c in Component.objects.order_by("name")
        ]


class RunbookForm(forms.Form):
    """A runbook template's fields but its steps, which come as rows (`step_rows`)."""

    name = forms.CharField(label="Name", max_length=100)
    description = forms.CharField(
        label="Description", widget=forms.Textarea(attrs=TEXT), required=False
    )
    system = forms.ChoiceField(label="For the system", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].choices = [
            ("", "Any system (a template)"),
            *[(s.name, s.name) for s in System.objects.all()],
        ]


STEP_FIELDS = ("step_title", "step_kind", "step_owner", "step_webhook", "step_standard")
BLANK_STEPS = 2


def step_rows(post=None, steps=None, *, blank: int = BLANK_STEPS) -> list[dict[str, str]]:
    """The step rows of the runbook form: from a POST (rows without a title dropped), else from
    a template's steps; then `blank` empty rows."""
    if post is not None:
        columns = [post.getlist(name) for name in STEP_FIELDS]
        width = max(len(c) for c in columns)
        columns = [c + [""] * (width - len(c)) for c in columns]
        rows = [
            {"title": t.strip(), "kind": k, "owner": o, "webhook_url": w.strip(), "standard": d}
            for t, k, o, w, d in zip(*columns, strict=True)
            if t.strip()
        ]
    else:
        rows = [
            {
                "title": s.title,
                "kind": s.kind,
                "owner": s.owner.username if s.owner else "",
                "webhook_url": s.webhook_url,
                "standard": s.standard,
            }
            for s in steps or []
        ]
    empty = {"title": "", "kind": StepKind.RECOVERY, "owner": "", "webhook_url": "", "standard": ""}
    return rows + [dict(empty) for _ in range(blank)]


def steps_of(rows: list[dict[str, str]]) -> list[dict]:
    return [
        {
            "title": row["title"],
            "kind": row["kind"],
            "standard": row.get("standard", ""),
            "owner": row["owner"] or None,
            "webhook_url": row["webhook_url"],
        }
        for row in rows
        if row["title"]
    ]
