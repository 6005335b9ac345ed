"""Markdown for incident text: CommonMark without raw HTML, then sanitised with nh3.

Two layers on purpose: markdown-it refuses raw HTML and unsafe link schemes, and nh3 removes
anything that still slipped through, so incident text can never carry script into a page.

Images are never shown as images, on any surface: an image is written as a link to where it
lives (`[alt]`), so no renderer (page, feed, HTML or PDF export, email) reads a local path or
fetches a URL, and no reader's browser is made to load one either.
"""

import re

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_parser = MarkdownIt("commonmark", {"html": False})

_ALLOWED_SCHEMES = {"http", "https", "mailto"}
# No <img> survives cleaning, whatever produced the HTML.
_ALLOWED_TAGS = nh3.ALLOWED_TAGS - {"img"}


def _image_as_link(renderer, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = renderer.renderInlineAsText(token.children or [], options, env) or "image"
    return f'<a href="{escape(token.attrGet("src") or "")}">[{escape(alt)}]</a>'


_parser.add_render_rule("image", _image_as_link)


def render_markdown(text: str | None) -> SafeString:
    """Render `text` as sanitised HTML; links get rel="noopener noreferrer", images become
    links to their address."""
    html = _parser.render(text or "")
    clean = nh3.clean(
        html, tags=_ALLOWED_TAGS, url_schemes=_ALLOWED_SCHEMES, link_rel="noopener noreferrer"
    )
    return mark_safe(clean)  # sanitised by nh3 just above


_MARK = re.compile(r"!(\d+)!$")


def _image_marks(tokens) -> set[int]:
    """The numbers of the marks (see `images_as_links`) written just before an image."""
    found = set()
    for token in tokens:
        children = token.children or []
        for before, child in zip([None, *children], children, strict=False):
            mark = before is not None and before.type == "text" and _MARK.search(before.content)
            if child.type == "image" and mark:
                found.add(int(mark.group(1)))
        found |= _image_marks(children)
    return found


def images_as_links(text: str) -> str:
    """The same markdown with each image (`![alt](url)`) written as a link (`[alt](url)`), for
    the Markdown export and email, whose readers would otherwise load it.

    Which `![` begin an image is the parser's decision (one in a code span or block does not):
    a numbered mark is put before each, the marked text parsed once, and the `!` is dropped
    where an image follows its mark. The result is parsed again until no image is left."""
    for _ in range(3):
        starts = [
            m.start()
            for m in re.finditer(r"!\[", text)
            if (m.start() - len(text[: m.start()].rstrip("\\"))) % 2 == 0  # not `\![`
        ]
        if not starts:
            return text
        marked, last = [], 0
        for number, start in enumerate(starts):
            marked += [text[last:start], f"!{number}!"]
            last = start
        marked.append(text[last:])
        images = _image_marks(_parser.parse("".join(marked)))
        if not images:
            return text
        drop = {starts[number] for number in images}
        text = "".join(char for i, char in enumerate(text) if i not in drop)
    return text
