"""Managers' page of deliveries (status, failures, retry). Thin adapters: parse, call the
service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import back, web_errors
from incidentdesk.notifications import selectors, services
from incidentdesk.notifications.models import Delivery, DeliveryStatus

WEB = ActionSource.WEB


def _page(request, qs):
    return Paginator(qs, selectors.PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
@web_errors
def delivery_list(request):
    require(request.user, Perm.SUBSCRIBER_MANAGE)
    filters = {"status": request.GET.get("status", ""), "q": request.GET.get("q", "").strip()}
    qs = selectors.delivery_list(status=filters["status"], query=filters["q"])
    context = {
        "page": _page(request, qs),
        "filters": filters,
        "counts": selectors.delivery_counts(),
        "statuses": DeliveryStatus.choices,
    }
    return render(request, "notifications/deliveries.html", context)


@login_required
@require_POST
@web_errors
def delivery_retry(request, pk: int):
    require(request.user, Perm.SUBSCRIBER_MANAGE)  # before the lookup: ids are not probed
    delivery = get_object_or_404(Delivery, pk=pk)
    services.delivery_retry(actor=request.user, source=WEB, delivery=delivery)
    messages.success(request, f"Delivery to {delivery.recipient} queued again.")
    return back(request, "notification_deliveries")


@login_required
@require_POST
@web_errors
def delivery_retry_failed(request):
    count = services.delivery_retry_failed(actor=request.user, source=WEB)
    messages.success(request, f"{count} failed deliver{'y' if count == 1 else 'ies'} queued again.")
    return redirect("notification_deliveries")
