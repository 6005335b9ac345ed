"""The set-up checklist: what a fresh install still lacks before it can tell people anything.

The dashboard shows it to admins until every item is done. Each item is a check: a function
answering now whether that part is set up, and if not, what to do and where. The incidents
domain registers its own (mail, the responders desk, components); a higher domain registers
its check from a module its AppConfig.ready() imports (chat/setup_checks.py,
oncall/setup_checks.py), so incidents imports neither.

    setup_checks.register("chat", title="Chat", check=chat, order=40)

A check reads the database or the settings; it never sends or connects anywhere.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from incidentdesk.accounts.models import User
from incidentdesk.incidents.models import Component
from incidentdesk.notifications.channels.email import NOT_CONFIGURED, mail_configured
from incidentdesk.notifications.models import Delivery, DeliveryStatus


@dataclass(frozen=True)
class Result:
    """What a check found: `done`, one sentence saying what is true now, and when not done
    what to do (`todo`), with a page of the app to do it on (`url`, `link`) or the section of
    the documentation that says how (`doc`)."""

    done: bool
    says: str
    todo: str = ""
    url: str = ""
    link: str = ""
    doc: str = ""


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    check: Callable[[], Result]
    order: int


_checks: dict[str, Check] = {}


def register(name: str, *, title: str, check: Callable[[], Result], order: int) -> Check:
    """Add an item to the checklist. The same module registering it again replaces it; another
    check under a name already taken is refused (ValueError)."""
    known = _checks.get(name)
    if known is not None and known.check.__module__ != check.__module__:
        raise ValueError(f"the set-up checklist already has an item called {name!r}")
    _checks[name] = Check(name, title, check, order)
    return _checks[name]


def checks() -> list[Check]:
    return sorted(_checks.values(), key=lambda c: (c.order, c.name))


@dataclass(frozen=True)
class Item:
    name: str
    title: str
    result: Result


def checklist() -> list[Item]:
    """Every registered check, run now, in order."""
    return [Item(c.name, c.title, c.check()) for c in checks()]


def complete(items: list[Item]) -> bool:
    return all(item.result.done for item in items)


# The incidents domain's own items -------------------------------------------------------------


def mail() -> Result:
    """Outgoing mail: set up (EMAIL_HOST or another mail backend), and its last email sent."""
    fix = "see what was not sent"
    if not mail_configured():
        return Result(
            False,
            "Mail is not configured: nobody is told anything by email (desk announcements, "
            "pages, status page subscribers).",
            todo="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, "
            "EMAIL_USE_TLS as your mail server needs) where the server and the worker start, "
            "then restart them.",
            url=reverse("notification_deliveries"),
            link=fix,
            doc="docs/configuration.md, Links and email",
        )
    tried = Delivery.objects.filter(channel="email").exclude(last_error=NOT_CONFIGURED)
    last = tried.exclude(status=DeliveryStatus.PENDING, attempts=0).order_by("-pk").first()
    if last is not None and last.status != DeliveryStatus.SENT and last.last_error:
        return Result(
            False,
            f"Mail is configured, but the last email was not sent: {last.last_error}",
            todo="Check EMAIL_HOST and the mail server, then retry what failed.",
            url=reverse("notification_deliveries"),
            link=fix,
            doc="docs/configuration.md, Links and email",
        )
    return Result(True, "Mail is configured.")


def desk() -> Result:
    """The responders desk: someone is told about every new incident."""
    members = User.objects.filter(is_active=True, on_responders_desk=True)
    count = members.count()
    if not count:
        return Result(
            False,
            "Nobody is on the responders desk: a new incident is announced to no one.",
            todo="Put experienced people on the responders desk.",
            url=reverse("user_list"),
            link="people",
        )
    without = members.filter(email="").count()
    says = f"{count} {'person is' if count == 1 else 'people are'} on the responders desk."
    if without:
        says += f" {without} of them {'has' if without == 1 else 'have'} no email address."
    return Result(True, says)


def components() -> Result:
    """The component catalog: incidents and the status page name what is affected."""
    count = Component.objects.count()
    if not count:
        return Result(
            False,
            "No components yet: incidents cannot say what is affected, and the status page "
            "shows nothing.",
            todo="Add the parts of your service people use (web app, API, payments…).",
            url=reverse("catalog"),
            link="catalog",
        )
    return Result(True, f"{count} component{'' if count == 1 else 's'} in the catalog.")


register("mail", title="Mail", check=mail, order=10)
register("desk", title="Responders desk", check=desk, order=20)
register("components", title="Components", check=components, order=30)
