"""Web forms of the paging pages. They only parse input; the services check every rule (steps,
waits, repeats, addresses) and their errors land on these forms."""

from django import forms

from incidentdesk.oncall.models import ContactKind, StepTarget
from incidentdesk.oncall.policies import MAX_REPEAT

# A step row of the policy form: the three inputs share these names, one value per row.
STEP_FIELDS = ("step_target", "step_name", "step_wait")
BLANK_STEPS = 2  # empty step rows offered below the filled ones
TARGET_KEY: dict[str, str] = {
    StepTarget.PERSON: "person",
    StepTarget.SCHEDULE: "schedule",
    StepTarget.SCHEDULE_ALL: "schedule",
    StepTarget.POLICY: "policy",
}


class PolicyForm(forms.Form):
    """A policy's fields but its steps, which come as rows (`step_rows`)."""

    name = forms.CharField(label="Name", max_length=100)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    repeat = forms.IntegerField(
        label="Repeat",
        min_value=0,
        max_value=MAX_REPEAT,
        initial=0,
        help_text="When nobody acknowledges, run every step again this many more times.",
    )
    is_default = forms.BooleanField(
        required=False,
        label="The default policy: “page the on-call lead”, paging severities and routes use it",
    )


def step_rows(post=None, steps=None, *, blank: int = BLANK_STEPS) -> list[dict[str, str]]:
    """The step rows of the form: from a POST (rows without a name dropped), else from a
    policy's steps (policy_data's); then `blank` empty rows to fill in."""
    if post is not None:
        columns = [post.getlist(name) for name in STEP_FIELDS]
        rows = [
            {"target": target, "name": name.strip(), "wait": wait.strip()}
            for target, name, wait in zip(*columns, strict=False)
            if name.strip()
        ]
    else:
        rows = [
            {
                "target": s["target"],
                "name": s.get(TARGET_KEY.get(s["target"], "person")) or "",
                "wait": str(s["wait_minutes"]),
            }
            for s in steps or []
        ]
    return rows + [{"target": StepTarget.PERSON, "name": "", "wait": "5"} for _ in range(blank)]


def steps_of(rows: list[dict[str, str]]) -> list[dict]:
    """The filled rows as the service takes steps; a wait that is not a number is passed on
    as it is, for the service to refuse naming the step."""
    steps = []
    for row in rows:
        if not row["name"]:
            continue
        wait: object = row["wait"] or "5"
        if isinstance(wait, str) and wait.isdigit():
            wait = int(wait)
        key = TARGET_KEY.get(row["target"], "person")
        steps.append({"target": row["target"], key: row["name"], "wait_minutes": wait})
    return steps


class ContactMethodForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=ContactKind.choices)
    address = forms.CharField(
        label="Address",
        max_length=1000,
        help_text=(
            "An email address, an ntfy topic URL, a webhook URL, a chat address "
            "(platform:chat user id), a phone number such as +4915112345678, or an Apprise URL."
        ),
    )
    label = forms.CharField(label="Label", required=False, max_length=100)
