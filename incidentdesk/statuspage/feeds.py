"""The incident history as Atom (/history.atom) and RSS 2.0 (/history.rss) feeds.

One entry per publication (incident or maintenance), its content every public update newest
first, as Statuspage's feeds do. Built with Django's feed generator and rendered with the
rest of the public site, from stored public fields only."""

from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import feedgenerator, timezone
from django.utils.html import escape

from incidentdesk.core.markdown import render_markdown
from incidentdesk.statuspage.models import PageSettings, PublicIncident


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


def _entry_id(pi: PublicIncident) -> str:
    host = urlsplit(settings.BASE_URL).hostname or "localhost"
    kind = "Maintenance" if pi.is_maintenance else "Incident"
    return f"tag:{host},2005:{kind}/{pi.public_id}"


def _content(pi: PublicIncident) -> str:
    parts = []
    for update in pi.updates.all():  # prefetched newest first
        when = timezone.localtime(update.display_at).strftime("%b %d, %H:%M %Z")
        parts.append(
            f"<p><small>{escape(when)}</small><br><strong>{escape(update.get_status_display())}"
            f"</strong> - </p>{render_markdown(update.body)}"
        )
    return "".join(parts)


def _build(feed_class, page: PageSettings, publications: list[PublicIncident], suffix: str):
    feed = feed_class(
        title=f"{page.name} - Incident History",
        link=f"{settings.BASE_URL}/",
        description=f"Statuspage {page.name} incident history",
        feed_url=f"{settings.BASE_URL}/history.{suffix}",
        language="en",
    )
    feed.stable_date = page.updated_at
    for pi in publications:
        feed.add_item(
            title=pi.name,
            link=f"{settings.BASE_URL}/incidents/{pi.public_id}",
            description=_content(pi),
            unique_id=_entry_id(pi),
            unique_id_is_permalink=False,
            pubdate=pi.created_at,
            updateddate=pi.updated_at,
        )
    return feed.writeString("utf-8").encode()


def atom_feed(page: PageSettings, publications: list[PublicIncident]) -> bytes:
    """The Atom 1.0 feed of `publications` (newest first, updates prefetched)."""
    return _build(AtomFeed, page, publications, "atom")


def rss_feed(page: PageSettings, publications: list[PublicIncident]) -> bytes:
    """The RSS 2.0 feed of `publications` (newest first, updates prefetched)."""
    return _build(RssFeed, page, publications, "rss")
