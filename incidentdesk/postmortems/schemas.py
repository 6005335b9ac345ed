"""API shapes for postmortems."""

from typing import Any

from ninja import Schema

from incidentdesk.incidents.schemas import Strict


class StartIn(Strict):
    template: str = "blameless"


class WhyIn(Strict):
    why: str
    because: str = ""


class EditIn(Strict):
    sections: dict[str, str] | None = None
    five_whys: list[WhyIn] | None = None
    taxonomy: str | None = None
    public_impact: str | None = None
    public_cause: str | None = None
    public_solution: str | None = None
    public_conclusion: str | None = None


class ReviewIn(Strict):
    status: str
    reviewers: list[str] | None = None
    reason: str = ""


class TermIn(Strict):
    key: str
    definition: str


class TermOut(Schema):
    key: str
    definition: str
    built_in: bool


class TemplateOut(Schema):
    key: str
    name: str
    description: str
    sections: list[dict[str, Any]]
    built_in: bool
