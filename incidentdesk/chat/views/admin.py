"""The chat admin page (/chat/, admins): whether each platform's connection works, the last
inbound events that failed, which chat users act as which account (link and unlink), and how
long transcripts are kept. Views parse a form, call one service and answer; errors go through
core/web.py."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.chat import connections, services
from incidentdesk.chat.admin_services import chat_settings_update
from incidentdesk.chat.models import ChatFailure, ChatIdentity, ChatSettings, InboundRecord
from incidentdesk.core.errors import IncidentDeskError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import form_failed, parsed, web_errors

WEB = ActionSource.WEB
ERRORS_SHOWN = 20
IDENTITIES_SHOWN = 500


class LinkForm(forms.Form):
    user = forms.TypedChoiceField(coerce=int, label="Account")

    def __init__(self, *args, accounts: list[tuple[int, str]], who: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        field.choices = [("", "Pick an account"), *accounts]  # type: ignore[attr-defined]
        field.label = f"Account for {who}"


class RetentionForm(forms.Form):
    transcript_retention_days = forms.IntegerField(
        required=False,
        label="Keep closed incidents' transcripts for (days)",
        help_text="Leave empty to keep them forever. Pinned messages stay on the timeline.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": "1"}),
    )


def _accounts() -> list[tuple[int, str]]:
    users = User.objects.filter(is_active=True).order_by("username")
    return [(user.pk, f"{user.username} · {user.email}") for user in users]


def _page(request, *, status: int = 200, failed_link=None, retention_form=None):
    accounts = _accounts()
    identities = ChatIdentity.objects.select_related("user")[:IDENTITIES_SHOWN]
    rows = []
    for identity in identities:
        form = failed_link if failed_link and failed_link.identity == identity.pk else None
        rows.append(
            {
                "identity": identity,
                "form": form
                or LinkForm(
                    prefix=f"identity-{identity.pk}",
                    accounts=accounts,
                    who=identity.name or identity.external_id,
                    initial={"user": identity.user_id},
                ),
            }
        )
    current = ChatSettings.current()
    context = {
        "connections": connections.check_all(),
        "inbound_errors": InboundRecord.objects.exclude(error="").order_by("-received_at", "-pk")[
            :ERRORS_SHOWN
        ],
        "failures": ChatFailure.objects.select_related("incident")[:ERRORS_SHOWN],
        "rows": rows,
        "retention_form": retention_form
        or RetentionForm(initial={"transcript_retention_days": current.transcript_retention_days}),
        "settings_row": current,
    }
    return render(request, "chat/admin.html", context, status=status)


@login_required
@web_errors
def chat_admin(request):
    require(request.user, Perm.CHAT_ADMIN)
    return _page(request)


def _identity(request, identity_id: int) -> ChatIdentity:
    require(request.user, Perm.CHAT_ADMIN)  # before the lookup: ids are not probed
    return get_object_or_404(ChatIdentity, pk=identity_id)


@login_required
@require_POST
@web_errors
def identity_link(request, identity_id: int):
    identity = _identity(request, identity_id)
    form = LinkForm(
        request.POST,
        prefix=f"identity-{identity.pk}",
        accounts=_accounts(),
        who=identity.name or identity.external_id,
    )
    form.identity = identity.pk  # type: ignore[attr-defined]
    try:
        data = parsed(form)
        user = get_object_or_404(User, pk=data["user"])
        services.identity_link(actor=request.user, source=WEB, identity=identity, user=user)
    except IncidentDeskError as exc:
        return form_failed(request, exc, form, lambda: _page(request, status=422, failed_link=form))
    messages.success(request, f"{identity.name or identity.external_id} acts as {user.username}.")
    return redirect("chat_admin")


@login_required
@require_POST
@web_errors
def identity_unlink(request, identity_id: int):
    identity = _identity(request, identity_id)
    services.identity_unlink(actor=request.user, source=WEB, identity=identity)
    messages.success(request, f"{identity.name or identity.external_id} acts as no one now.")
    return redirect("chat_admin")


@login_required
@require_POST
@web_errors
def settings_update(request):
    require(request.user, Perm.CHAT_ADMIN)
    form = RetentionForm(request.POST)
    try:
        data = parsed(form)
        chat_settings_update(
            actor=request.user,
            source=WEB,
            transcript_retention_days=data["transcript_retention_days"],
        )
    except IncidentDeskError as exc:
        return form_failed(
            request, exc, form, lambda: _page(request, status=422, retention_form=form)
        )
    days = data["transcript_retention_days"]
    kept = "forever" if days is None else f"for {days} day{'s' if days != 1 else ''}"
    messages.success(request, f"Transcripts are kept {kept}.")
    return redirect("chat_admin")
