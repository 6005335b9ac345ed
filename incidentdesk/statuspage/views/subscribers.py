"""Managers' page of status page subscribers (list, import, remove), shown next to the
deliveries page under /notifications/. Thin adapters: parse, call the service, render."""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import describe, web_errors
from incidentdesk.incidents.models import Component
from incidentdesk.notifications.channels.email import mail_configured
from incidentdesk.statuspage import subscribers as services
from incidentdesk.statuspage.models import Subscriber

WEB = ActionSource.WEB
IMPORT_MAX_BYTES = 5 * 1024 * 1024
PAGE_SIZE = 50


def _subscribers_page(request, *, rows_text: str = "", error: str = "", status: int = 200):
    filters = {
        "kind": request.GET.get("kind", ""),
        "state": request.GET.get("state", ""),
        "q": request.GET.get("q", "").strip(),
    }
    qs = services.subscriber_list(kind=filters["kind"], state=filters["state"], query=filters["q"])
    context = {
        "page": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")),
        "filters": filters,
        "counts": services.subscriber_counts(),
        "components": Component.objects.all(),
        "rows_text": rows_text,
        "import_error": error,
        "mail_configured": mail_configured(),
    }
    return render(request, "statuspage/subscribers.html", context, status=status)


@login_required
@web_errors
def subscriber_list(request):
    require(request.user, Perm.SUBSCRIBER_MANAGE)
    return _subscribers_page(request)


@login_required
@require_POST
@web_errors
def subscriber_remove(request, pk: int):
    require(request.user, Perm.SUBSCRIBER_MANAGE)
    subscriber = get_object_or_404(Subscriber, pk=pk)
    services.subscriber_remove(actor=request.user, source=WEB, subscriber=subscriber)
    messages.success(request, f"Removed {subscriber.address}.")
    return redirect("notification_subscribers")


def parse_import(text: str) -> list[dict]:
    """Rows from pasted lines or CSV: the first cell is the email address, further cells (or
    `;`-separated names in them) are components. A header row starting `email` is skipped."""
    rows: list[dict] = []
    for cells in csv.reader(io.StringIO(text)):
        cells = [c.strip() for c in cells]
        if not cells or not any(cells):
            continue
        if not rows and cells[0].lower() in ("email", "email address", "e-mail"):
            continue
        components = [name.strip() for cell in cells[1:] for name in cell.split(";")]
        rows.append({"email": cells[0], "components": [c for c in components if c] or None})
    return rows


def _import_text(request) -> str:
    upload = request.FILES.get("file")
    if upload is None:
        return request.POST.get("rows", "")
    if upload.size > IMPORT_MAX_BYTES:
        raise ValidationError("is larger than 5 MB", field="file")
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("is not UTF-8 text (save the CSV as UTF-8)", field="file") from None


@login_required
@require_POST
@web_errors
def subscriber_import(request):
    require(request.user, Perm.SUBSCRIBER_MANAGE)
    text = request.POST.get("rows", "")
    try:
        text = _import_text(request)
        result = services.subscriber_import(actor=request.user, source=WEB, rows=parse_import(text))
    except ValidationError as exc:
        return _subscribers_page(request, rows_text=text, error=describe(exc), status=422)
    if mail_configured():
        messages.success(request, f"Import done: {result.summary}.")
    else:
        messages.warning(
            request,
            f"Import done: {result.summary}. Mail is not configured, so they will get no "
            "email until it is.",
        )
    return redirect("notification_subscribers")
