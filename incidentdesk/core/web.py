"""The one place where the web maps the service error tree to pages, forms and messages.

PermissionDenied  → 403 page with the service's message (a toast for htmx)
NotFound          → 404 page (a toast for htmx)
NotAuthenticated  → the sign-in page
any other error   → a message on the page the request came from (a toast for htmx),
                    or, through `add_service_error`, an error next to the form field it names
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

from incidentdesk.core.errors import (
    FIELD_WORDS,
    IncidentDeskError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationError,
)

TOAST_TEMPLATE = "incidents/_toast.html"
__all__ = ["FIELD_WORDS", "add_service_error", "describe", "error_response", "form_failed"]


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (installed for the whole site)."""

    htmx: HtmxDetails


def add_service_error(form, exc: IncidentDeskError) -> None:
    """Show a service error next to the form field it names, or above the form, as a
    sentence ("Must be today or later." at its field; "Status cannot go from … ." above)."""
    field = exc.field if exc.field in form.fields else None
    message = exc.sentence_at_field if field else exc.sentence
    if message not in form.errors.get(field or "__all__", []):
        form.add_error(field, message)


# Errors about who may do what or whether a thing exists, not about what was typed: never shown
# next to a form field but answered as a page (or a toast) by `error_response`.
PAGE_ERRORS = (NotAuthenticated, PermissionDenied, NotFound)


def is_page_error(exc: IncidentDeskError) -> bool:
    """Whether the error is answered as a page (sign-in, 403, 404) rather than on a form."""
    return isinstance(exc, PAGE_ERRORS)


def form_failed(
    request: HtmxHttpRequest,
    exc: IncidentDeskError,
    form,
    rerender,
    *,
    in_place: str = "",
) -> HttpResponse:
    """Answer a service error raised by a form's write.

    For 401/403/404 errors, and for htmx requests unless `in_place` is given, the error is
    raised again, so that `web_errors` (or `error_response`) answers it with a toast or a page;
    otherwise it is put on the bound form, next to the field it names, and `rerender()` shows
    the form again. With `in_place` (a CSS selector, e.g. "#roles"), an htmx request gets
    `rerender()` too, swapped over that element, so the error sits at its field there as well.
    """
    if is_page_error(exc) or (request.htmx and not in_place):
        raise exc
    add_service_error(form, exc)
    response = rerender()
    if request.htmx:
        response["HX-Retarget"] = in_place
        response["HX-Reswap"] = "outerHTML"
    return response


def parsed(form) -> dict:
    """The form's cleaned data, or a service-style error naming the first bad field, so that
    a form's own parse errors take the same road as the services' errors."""
    if form.is_valid():
        return form.cleaned_data
    field, errors = next(iter(form.errors.items()))
    raise ValidationError(" ".join(errors), field=None if field == "__all__" else field)


def toast(request: HttpRequest, message: str, *, level: str = "success", status: int = 200):
    """A short message for an htmx request, shown in the page's live region."""
    response = render(request, TOAST_TEMPLATE, {"message": message, "level": level}, status=status)
    if level == "error":
        # The form that failed stays as it is (with the user's input); only the toast changes.
        response["HX-Retarget"] = "#toast"
        response["HX-Reswap"] = "innerHTML"
    return response


def back(request: HttpRequest, fallback: str = "dashboard") -> HttpResponse:
    """Redirect to `next` or the referring page when it is ours, else to `fallback`."""
    for candidate in (request.POST.get("next"), request.META.get("HTTP_REFERER")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(candidate)
    return redirect(fallback)


def describe(exc: IncidentDeskError) -> str:
    """The error as one sentence for a message or a toast (IncidentDeskError.sentence): the
    field in words where the sentence needs it, never its internal name as a prefix."""
    return exc.sentence


def error_response(
    request: HtmxHttpRequest, exc: IncidentDeskError, fallback: str = "dashboard"
) -> HttpResponse:
    if isinstance(exc, NotAuthenticated):
        return redirect_to_login(request.get_full_path())
    if request.htmx:
        return toast(request, describe(exc), level="error", status=exc.status_code)
    if isinstance(exc, PermissionDenied):
        return render(request, "errors/403.html", {"message": exc.message}, status=403)
    if isinstance(exc, NotFound):
        return render(request, "errors/404.html", {"message": exc.message}, status=404)
    messages.error(request, describe(exc))
    return back(request, fallback)


def web_errors(view):
    """Decorate a view so that any service error it lets through is answered as above."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except IncidentDeskError as exc:
            reference = kwargs.get("reference")
            fallback = reverse("incident_detail", args=[reference]) if reference else "dashboard"
            return error_response(request, exc, fallback)

    return wrapper


def bounded_body(request: HttpRequest, limit: int) -> bytes | None:
    """The request's raw body, or None when it is over `limit` bytes (or its stated length is
    garbled): refused from the Content-Length before more of it is read, for webhook doors."""
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
            return None
        body = request.body
    except (ValueError, RequestDataTooBig):
        return None
    return body if len(body) <= limit else None
