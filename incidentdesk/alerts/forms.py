"""Web forms of the alerts pages. They only parse input into Python values; every rule (kinds,
names, matchers, severities, the policy a paging route needs) is checked by the services,
whose errors land on these forms."""

from django import forms
from django.db.models import Q

from incidentdesk.alerts.models import Integration, IntegrationKind, RouteAction
from incidentdesk.alerts.routes import OPS
from incidentdesk.incidents.selectors import component_choices, severity_choices
from incidentdesk.oncall.models import EscalationPolicy

# A matcher row of the route form: the three inputs share these names, one value per row.
MATCHER_FIELDS = ("matcher_label", "matcher_op", "matcher_value")
BLANK_ROWS = 2  # empty matcher rows offered below the filled ones


class IntegrationForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind",
        choices=[("", "Pick what sends"), *IntegrationKind.choices],
        help_text="The sender: each kind reads its own payload.",
    )
    name = forms.CharField(
        label="Name",
        max_length=200,
        help_text="To recognise it later, e.g. prod-alertmanager.",
    )
    signed = forms.BooleanField(
        required=False,
        label="Grafana only: require its HMAC signature",
        help_text="You then paste the signing secret into the contact point.",
    )


def _policy_choices() -> list[tuple[str, str]]:
    default = EscalationPolicy.objects.filter(is_default=True).first()
    first = f"The default policy ({default.name})" if default else "The default policy (none set)"
    return [("", first), *((str(p.pk), p.name) for p in EscalationPolicy.objects.all())]


def _integration_choices(keep: int | None) -> list[tuple[str, str]]:
    """Live integrations, and `keep` (the route's own) even when it is revoked."""
    shown = Integration.objects.filter(Q(revoked_at__isnull=True) | Q(pk=keep)).order_by("name")
    return [
        ("", "Every integration"),
        *((str(i.pk), f"{i.name} ({i.kind}{', revoked' if i.revoked_at else ''})") for i in shown),
    ]


class RouteForm(forms.Form):
    """A route's fields but its matchers, which come as rows (`matcher_rows`)."""

    name = forms.CharField(label="Name", required=False, max_length=200)
    integration = forms.TypedChoiceField(
        label="Sees the groups of", required=False, coerce=int, empty_value=None
    )
    action = forms.ChoiceField(
        label="When it matches",
        choices=RouteAction.choices,
        widget=forms.RadioSelect,
        initial=RouteAction.RECORD,
    )
    severity = forms.ChoiceField(label="Severity", required=False, help_text="Needed to declare.")
    components = forms.TypedMultipleChoiceField(
        label="Components",
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text="Declare: the incident's components. Attach: the open incident is found by them.",
    )
    pages = forms.BooleanField(required=False, label="Page the on-call when it matches")
    policy = forms.TypedChoiceField(
        label="Escalation policy", required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, integration: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = _integration_choices(integration)
        self.fields["integration"].choices = choices  # type: ignore[attr-defined]
        self.fields["severity"].choices = [("", "—"), *severity_choices()]  # type: ignore[attr-defined]
        self.fields["components"].choices = component_choices()  # type: ignore[attr-defined]
        self.fields["policy"].choices = _policy_choices()  # type: ignore[attr-defined]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "integration": data["integration"],
            "action": data["action"],
            "severity": data["severity"] or None,
            "components": list(data["components"]),
            "pages": data["pages"],
            "policy": data["policy"],
        }


def matcher_rows(post=None, matchers=None, *, blank: int = BLANK_ROWS) -> list[dict[str, str]]:
    """The matcher rows of the form: from a POST (rows left empty are dropped), else from a
    route's matchers; then `blank` empty rows to fill in."""
    if post is not None:
        columns = [post.getlist(name) for name in MATCHER_FIELDS]
        rows = [
            {"label": label.strip(), "op": op, "value": value}
            for label, op, value in zip(*columns, strict=False)
            if label.strip() or value
        ]
    else:
        rows = [dict(m) for m in matchers or []]
    return rows + [{"label": "", "op": "=", "value": ""} for _ in range(blank)]


def filled(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows that say something: the route's matchers."""
    return [row for row in rows if row["label"] or row["value"]]


OP_CHOICES = [(op, op) for op in OPS]
