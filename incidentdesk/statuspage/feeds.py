"""The incident history as Atom (/history.atom) and RSS 2.0 (/history.rss) feeds.

One entry per publication (incident or maintenance), its content every public update newest
first, as Statuspage's feeds do. Built with Django's feed generator and rendered with the
rest of the public site, from stored public fields only. Every text goes through `safe_text`:
XML 1.0 cannot carry control characters, and one stored before the input check existed must
not break the feed.

`?component=<id or name>` narrows a feed to the publications affecting that component (or,
for a group, any of its components): rendered when first asked for, then kept in memory until
the public documents' version moves (store.NarrowedFeeds)."""

from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import feedgenerator, timezone
from django.utils.html import escape

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.markdown import render_markdown
from incidentdesk.core.text import safe_text
from incidentdesk.incidents.models import Component
from incidentdesk.statuspage.models import PageSettings, PublicIncident
from incidentdesk.statuspage.selectors import component_by_key, publications_affecting


class _Stable:
    """A feed whose date comes from the data, not the clock, so an unchanged history gives
    unchanged bytes (and ETag)."""

    stable_date: datetime

    def latest_post_date(self):
        return max([self.stable_date, *(i["updateddate"] or i["pubdate"] for i in self.items)])


class AtomFeed(_Stable, feedgenerator.Atom1Feed):
    pass


class RssFeed(_Stable, feedgenerator.Rss201rev2Feed):
    pass


def _entry_id(publication: PublicIncident) -> str:
    host = urlsplit(settings.BASE_URL).hostname or "localhost"
    kind = "Maintenance" if publication.is_maintenance else "Incident"
    return f"tag:{host},2005:{kind}/{publication.public_id}"


def _content(publication: PublicIncident) -> str:
    parts = []
    for update in publication.updates.all():  # prefetched newest first
        when = timezone.localtime(update.display_at).strftime("%b %d, %H:%M %Z")
        parts.append(
            f"<p><small>{escape(when)}</small><br><strong>{escape(update.get_status_display())}"
            f"</strong> - </p>{render_markdown(update.body)}"
        )
    return "".join(parts)


def _build(
    feed_class,
    page: PageSettings,
    publications: list[PublicIncident],
    suffix: str,
    component: Component | None = None,
):
    title = f"{page.name} - Incident History"
    feed_url = f"{settings.BASE_URL}/history.{suffix}"
    if component is not None:
        title = f"{title} - {component.name}"
        feed_url = f"{feed_url}?component={component.public_id or component.pk}"
    feed = feed_class(
        title=safe_text(title),
        link=f"{settings.BASE_URL}/",
        description=safe_text(f"Statuspage {page.name} incident history"),
        feed_url=feed_url,
        language="en",
    )
    feed.stable_date = page.updated_at
    for publication in publications:
        feed.add_item(
            title=safe_text(publication.name),
            link=f"{settings.BASE_URL}/incidents/{publication.public_id}",
            description=safe_text(_content(publication)),
            unique_id=_entry_id(publication),
            unique_id_is_permalink=False,
            pubdate=publication.created_at,
            updateddate=publication.updated_at,
        )
    return feed.writeString("utf-8").encode()


def atom_feed(
    page: PageSettings, publications: list[PublicIncident], component: Component | None = None
) -> bytes:
    """The Atom 1.0 feed of `publications` (newest first, updates prefetched)."""
    return _build(AtomFeed, page, publications, "atom", component)


def rss_feed(
    page: PageSettings, publications: list[PublicIncident], component: Component | None = None
) -> bytes:
    """The RSS 2.0 feed of `publications` (newest first, updates prefetched)."""
    return _build(RssFeed, page, publications, "rss", component)


FEEDS = {"/history.atom": atom_feed, "/history.rss": rss_feed}


def component_feed(path: str, key: str) -> bytes | None:
    """The feed at `path` narrowed to the component named by `key` (its public id, id or
    name): the publications affecting it or, for a group, any of its components. None when
    there is no such component."""
    try:
        component = component_by_key(key)
    except ValidationError:
        return None
    return FEEDS[path](PageSettings.load(), publications_affecting(component), component)
