"""A 422 reads as our own sentence about the field: pydantic's "Value error, " prefix is
dropped where the API maps validation errors, and a refused character is called what it is (a
control character, a lone surrogate or a non-character), not always "a control character"."""

import json

import pytest

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.text import refuse_unsafe_characters
from incidentdesk.incidents.models import Incident

KINDS = [
    ("\x00", "NUL (U+0000), a control character"),
    ("\x0b", "U+000B, a control character"),
    ("\x1f", "U+001F, a control character"),
    ("\ud800", "U+D800, a lone surrogate"),
    ("\udfff", "U+DFFF, a lone surrogate"),
    ("\ufffe", "U+FFFE, a non-character"),
    ("\uffff", "U+FFFF, a non-character"),
]
IDS = [f"U+{ord(char):04X}" for char, _ in KINDS]


@pytest.mark.parametrize(("char", "named"), KINDS, ids=IDS)
def test_a_refused_character_is_named_with_its_kind(char, named):
    with pytest.raises(ValidationError) as caught:
        refuse_unsafe_characters(f"db{char}down", field="summary")
    assert caught.value.detail == (
        f"summary: contains the character {named}, which text cannot carry; remove it"
    )


@pytest.mark.parametrize(("char", "named"), KINDS, ids=IDS)
def test_an_api_422_carries_our_message_without_pydantics_prefix(rita, char, named):
    body = {"title": f"db{char}down", "severity": "major", "criteria": ["security"]}
    response = rita.call("POST", "/incidents", raw=json.dumps(body))
    assert response.status_code == 422, response.json_body
    message = f"contains the character {named}, which text cannot carry; remove it"
    assert response.json_body["detail"] == f"title: {message}"
    assert response.json_body["errors"] == [{"field": "title", "message": message}]
    assert not Incident.objects.exists()


def test_pydantics_own_messages_are_kept(rita):
    body = {"title": "Down", "severity": "major", "criteria": ["security"], "security": "yes"}
    response = rita.call("POST", "/incidents", body)
    assert response.status_code == 422
    assert response.json_body["detail"] == "security: Input should be a valid boolean"
