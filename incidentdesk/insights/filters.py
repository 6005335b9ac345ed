"""Parsing and applying the insights filters: date range, severity, component, taxonomy term."""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.moments import check_day
from incidentdesk.core.reporting import reporting_zone
from incidentdesk.incidents.models import Component, Incident, Severity

DEFAULT_DAYS = 90
# The last day a filter may name: nearer than the window of core.moments, as a series has a
# point per day, week or month of the range.
LATEST = date(2100, 12, 31)
POSTMORTEMS_APP = "incidentdesk.postmortems"
RECOVERY_APP = "incidentdesk.recovery"


def taxonomy_available() -> bool:
    """Taxonomy figures need the postmortems app; without it they are left out, not faked."""
    return apps.is_installed(POSTMORTEMS_APP)


@dataclass(frozen=True)
class Filters:
    """Which incidents a figure is about. `since` and `until` are inclusive days in the
    reporting time zone; an incident belongs to the day it was declared."""

    since: date
    until: date
    severity: str = ""
    component: str = ""
    taxonomy: str = ""

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        zone = reporting_zone()
        start = datetime.combine(self.since, time.min, tzinfo=zone)
        end = datetime.combine(self.until + timedelta(days=1), time.min, tzinfo=zone)
        return start, end

    def previous(self) -> "Filters":
        """The period of the same length just before this one, with the same other filters."""
        return replace(
            self,
            since=self.since - timedelta(days=self.days),
            until=self.since - timedelta(days=1),
        )

    def as_dict(self) -> dict:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "severity": self.severity or None,
            "component": self.component or None,
            "taxonomy": self.taxonomy or None,
        }


def _parse_day(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError(
                f"{value!r} is not a date; write YYYY-MM-DD", field=field
            ) from None
    return check_day(value, field=field, latest=LATEST)


def parse_filters(
    *, since=None, until=None, severity: str = "", component: str = "", taxonomy: str = ""
) -> Filters:
    """Validate raw filter values (from a form, the API or the CLI) into `Filters`.

    Defaults: until today, since 90 days before. Unknown severities and components are refused
    naming the field; a taxonomy term needs the postmortems app."""
    today = timezone.localdate(timezone=reporting_zone())
    until_day = _parse_day(until, "until") or today
    since_day = _parse_day(since, "since") or until_day - timedelta(days=DEFAULT_DAYS - 1)
    if since_day > until_day:
        raise ValidationError("must not be after 'until'", field="since")
    severity = (severity or "").strip()
    if severity:
        found = Severity.objects.filter(key__iexact=severity).first()
        if found is None:
            known = ", ".join(Severity.objects.values_list("key", flat=True))
            raise ValidationError(
                f"unknown severity {severity!r}; known: {known}", field="severity"
            )
        severity = found.key
    component = (component or "").strip()
    if component and not Component.objects.filter(name__iexact=component).exists():
        raise ValidationError(f"unknown component {component!r}", field="component")
    taxonomy = (taxonomy or "").strip().upper()
    if taxonomy:
        _check_term(taxonomy)
    return Filters(since_day, until_day, severity, component, taxonomy)


def _check_term(term: str) -> None:
    if not taxonomy_available():
        raise ValidationError("needs the postmortems app, which is not installed", field="taxonomy")
    from incidentdesk.postmortems.selectors import known_terms

    known = known_terms()
    if term not in known:
        raise ValidationError(
            f"unknown term {term[:64]!r}; known: {', '.join(sorted(known))}", field="taxonomy"
        )


def _any_term(term: str) -> Q:
    """Incidents whose postmortem's taxonomy tree (`A < B < C`) names the term anywhere."""
    tree = "postmortem__taxonomy_tree"
    return (
        Q(postmortem__taxonomy_principal=term)
        | Q(**{tree: term})
        | Q(**{f"{tree}__startswith": f"{term} <"})
        | Q(**{f"{tree}__endswith": f"< {term}"})
        | Q(**{f"{tree}__contains": f"< {term} <"})
    )


def counted_incidents():
    """Every incident the figures count: all but those whose disaster is a drill (a rehearsal
    keeps its own measured times, in the disasters and drills figures, not in these)."""
    if not apps.is_installed(RECOVERY_APP):
        return Incident.objects.all()
    return Incident.objects.filter(~Q(disaster__drill=True))


def filtered_incidents(filters: Filters, *, drills: bool = False):
    """The incidents the filters select, as a queryset (nothing evaluated); drills only when
    asked for (the disasters and drills figures)."""
    start, end = filters.bounds()
    everything = Incident.objects.all() if drills else counted_incidents()
    queryset = everything.filter(declared_at__gte=start, declared_at__lt=end)
    if filters.severity:
        queryset = queryset.filter(severity__key=filters.severity)
    if filters.component:
        # EXISTS rather than a join, so an incident is never counted twice.
        in_component = Incident.components.through.objects.filter(
            incident_id=OuterRef("pk"), component__name__iexact=filters.component
        )
        queryset = queryset.filter(Exists(in_component))
    if filters.taxonomy:
        queryset = queryset.filter(_any_term(filters.taxonomy))
    return queryset.order_by()
