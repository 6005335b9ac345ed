"""Account pages: first-run setup, users (admins) and API tokens (everyone)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from incidentdesk.accounts import services
from incidentdesk.accounts.forms import SetupForm, TokenForm, UserCreateForm, UserUpdateForm
from incidentdesk.accounts.models import ApiToken, Role, User
from incidentdesk.accounts.permissions import Perm, has_perm, require
from incidentdesk.core.errors import IncidentDeskError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import add_service_error, form_failed, is_page_error, parsed, web_errors

WEB = ActionSource.WEB


def setup(request):
    """First run: create the first account, an admin. Refused once any account exists, so a
    later visitor can never make themselves an admin here."""
    if User.objects.exists():
        return redirect("login")
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=None,
                source=WEB,
                username=data["username"],
                email=data["email"],
                password=data["password"],
                full_name=data["full_name"],
            )
        except IncidentDeskError as exc:
            if is_page_error(exc):  # someone else finished setup a moment ago
                return redirect("login")
            add_service_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.display_name}. You are the first admin.")
            return redirect("dashboard")
    return render(
        request, "accounts/setup.html", {"form": form}, status=422 if form.errors else 200
    )


def _users_page(request, status: int = 200, create_form=None):
    context = {
        "users": User.objects.all(),
        "roles": Role.choices,
        "create_form": create_form or UserCreateForm(),
        "create_open": create_form is not None,
    }
    return render(request, "accounts/users.html", context, status=status)


@login_required
@web_errors
def user_list(request):
    require(request.user, Perm.USER_MANAGE)
    return _users_page(request)


@login_required
@require_POST
@web_errors
def user_create(request):
    require(request.user, Perm.USER_MANAGE)
    form = UserCreateForm(request.POST)
    try:
        data = parsed(form)
        user = services.user_create(
            actor=request.user,
            source=WEB,
            username=data["username"],
            email=data["email"],
            password=data["password"],
            full_name=data["full_name"],
            role=data["role"],
            on_responders_desk=data["on_responders_desk"],
        )
    except IncidentDeskError as exc:
        return form_failed(request, exc, form, lambda: _users_page(request, 422, create_form=form))
    messages.success(request, f"Account {user.username} created.")
    return redirect("user_list")


@login_required
@require_POST
@web_errors
def user_update(request, user_id: int):
    user = get_object_or_404(User, pk=user_id)
    data = parsed(UserUpdateForm(request.POST))
    services.user_update(
        actor=request.user,
        source=WEB,
        user=user,
        role=data["role"],
        on_responders_desk=data["on_responders_desk"],
        is_active=data["is_active"],
    )
    messages.success(request, f"{user.username} updated.")
    return redirect("user_list")


def _tokens_page(request, status: int = 200, form=None, new_token=None):
    admin = has_perm(request.user, Perm.USER_MANAGE)
    tokens = ApiToken.objects.select_related("user")
    if not admin:
        tokens = tokens.filter(user=request.user)
    context = {
        "tokens": tokens,
        "show_owner": admin,
        "form": form or TokenForm(user=request.user, for_others=admin),
        "new_token": new_token,
    }
    return render(request, "accounts/tokens.html", context, status=status)


@login_required
def token_list(request):
    return _tokens_page(request)


@login_required
@require_POST
@web_errors
def token_create(request):
    """Create a token and show its plain text on this one response; it is never stored."""
    admin = has_perm(request.user, Perm.USER_MANAGE)
    form = TokenForm(request.POST, user=request.user, for_others=admin)
    try:
        data = parsed(form)
        owner = request.user
        if data.get("owner"):
            owner = get_object_or_404(User, pk=data["owner"])
        token, plain = services.token_create(
            actor=request.user, source=WEB, user=owner, name=data["name"], scope=data["scope"]
        )
    except IncidentDeskError as exc:
        return form_failed(request, exc, form, lambda: _tokens_page(request, 422, form=form))
    response = _tokens_page(request, new_token={"token": token, "plain": plain})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
@web_errors
def token_revoke(request, token_id: int):
    token = services.token_revoke(actor=request.user, source=WEB, token_id=token_id)
    messages.success(request, f"Token {token.name} revoked.")
    return redirect("token_list")
