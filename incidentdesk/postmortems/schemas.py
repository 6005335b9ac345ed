"""API shapes for postmortems."""

from typing import Any

from ninja import Schema

from incidentdesk.core.schemas import Day, Strict


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


class FollowUpIn(Strict):
    title: str
    owner: str
    category: str = ""
    priority: str = "medium"
    due_date: Day | None = None
    external_url: str = ""
    description: str = ""


class WentWellIn(Strict):
    text: str
    action_item: int | None = None


class MeetingIn(Strict):
    # Text, read by the service: with an offset as given, without one in the reporting zone.
    starts_at: str
    duration_minutes: int = 60
    location: str = ""
    attendees: list[str]


class FeedbackIn(Strict):
    response_rating: int
    postmortem_rating: int
    improve: str = ""


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
