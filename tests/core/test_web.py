"""The web's one answer to a form write that failed: on the form, or raised for a page."""

import pytest
from django import forms
from django.http import HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from incidentdesk.core.errors import (
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from incidentdesk.core.web import form_failed


class TitleForm(forms.Form):
    title = forms.CharField()


def _request(*, htmx: bool = False):
    headers = {"HX-Request": "true"} if htmx else {}
    request = RequestFactory().post("/", {"title": "x"}, headers=headers)
    request.htmx = HtmxDetails(request)
    return request


def test_a_field_error_is_shown_next_to_its_field_and_the_form_rendered_again():
    form = TitleForm({"title": "x"})
    form.is_valid()
    response = form_failed(
        _request(),
        ValidationError("too short", field="title"),
        form,
        lambda: HttpResponse("again", status=422),
    )
    assert response.status_code == 422
    assert form.errors == {"title": ["Too short."]}  # a sentence, at its field


def test_an_error_about_no_field_is_shown_above_the_form():
    form = TitleForm({"title": "x"})
    form.is_valid()
    form_failed(_request(), InvalidTransition("already resolved"), form, HttpResponse)
    assert form.errors == {"__all__": ["Already resolved."]}


@pytest.mark.parametrize("error", [NotAuthenticated, PermissionDenied, NotFound])
def test_who_may_and_what_exists_are_answered_as_a_page_not_on_the_form(error):
    form = TitleForm({"title": "x"})
    form.is_valid()
    with pytest.raises(error):
        form_failed(_request(), error("no"), form, HttpResponse)
    assert not form.errors


def test_an_htmx_request_gets_its_error_raised_for_the_toast():
    form = TitleForm({"title": "x"})
    form.is_valid()
    with pytest.raises(ValidationError):
        form_failed(_request(htmx=True), ValidationError("bad", field="title"), form, HttpResponse)
    assert not form.errors
