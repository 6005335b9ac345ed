"""Markdown for incident text: CommonMark without raw HTML, then sanitised with nh3.

Two layers on purpose: markdown-it refuses raw HTML and unsafe link schemes, and nh3 removes
anything that still slipped through, so incident text can never carry script into a page.
"""

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_parser = MarkdownIt("commonmark", {"html": False})

_ALLOWED_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str | None) -> SafeString:
    """Render `text` as sanitised HTML; links get rel="noopener noreferrer"."""
    html = _parser.render(text or "")
    clean = nh3.clean(html, url_schemes=_ALLOWED_SCHEMES, link_rel="noopener noreferrer")
    return mark_safe(clean)  # sanitised by nh3 just above
