"""Markdown for incident text: CommonMark without raw HTML, then sanitised with nh3.

Two layers on purpose: markdown-it refuses raw HTML and unsafe link schemes, and nh3 removes
anything that still slipped through, so incident text can never carry script into a page.

Images are never shown as images, on any surface: an image is written as a link to where it
lives (`[alt]`), so no renderer (page, feed, HTML or PDF export, email) reads a local path or
fetches a URL, and no reader's browser is made to load one either. Markdown handed to readers
(the Markdown export, email) also has its raw HTML escaped, whatever viewer opens it.
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


# How a lenient reader's Markdown viewer reads text: raw HTML is honoured and a link or image
# may have any scheme (file:, data:, …), which our own parser refuses and leaves as text.
_viewer = MarkdownIt("commonmark", {"html": True})
_viewer.validateLink = lambda url: True  # type: ignore[method-assign]

_MARK = re.compile(r"!(\d+)!$")
# Where raw HTML can begin: a tag, a closing tag, a comment or declaration, an instruction.
_HTML_START = re.compile(r"<(?=[A-Za-z/!?])")
_LINE_END = re.compile(r"\r\n|\r|\n")
_PASSES = 4


def _back_over(text: str, position: int, chars: str) -> int:
    """Where the run of `chars` that ends at `position` begins."""
    while position > 0 and text[position - 1] in chars:
        position -= 1
    return position


def _unescaped(text: str, pattern: re.Pattern) -> list[int]:
    """Where `pattern` matches in `text` other than right after a backslash escape."""
    return [
        m.start()
        for m in pattern.finditer(text)
        if (m.start() - _back_over(text, m.start(), "\\")) % 2 == 0
    ]


def _marks_before(tokens, kind: str) -> set[int]:
    """The numbers of the marks (see `_marked`) written just before a token of `kind`."""
    found = set()
    for token in tokens:
        children = token.children or []
        for before, child in zip([None, *children], children, strict=False):
            mark = before is not None and before.type == "text" and _MARK.search(before.content)
            if child.type == kind and mark:
                found.add(int(mark.group(1)))
        found |= _marks_before(children, kind)
    return found


def _marked(text: str, starts: list[int], kind: str) -> set[int]:
    """Which of `starts` begin a token of `kind`, as the viewer parses `text`: a numbered mark
    is put before each, the marked text parsed once, and the marks followed by one counted."""
    marked, last = [], 0
    for number, start in enumerate(starts):
        marked += [text[last:start], f"!{number}!"]
        last = start
    marked.append(text[last:])
    return {starts[number] for number in _marks_before(_viewer.parse("".join(marked)), kind)}


def images_as_links(text: str) -> str:
    """The same markdown with each image (`![alt](url)`, whatever the url's scheme) written as
    a link (`[alt](url)`), for the Markdown export and email, whose readers would otherwise
    load it.

    Which `![` begin an image is the parser's decision (one in a code span or block does not):
    the `!` is dropped where the marked text (see `_marked`) has an image after its mark. The
    result is parsed again until no image is left."""
    for _ in range(_PASSES):
        starts = _unescaped(text, re.compile(r"!\["))
        drop = _marked(text, starts, "image") if starts else set()
        if not drop:
            return text
        text = "".join(char for i, char in enumerate(text) if i not in drop)
    return text


def _has_raw_html(tokens) -> bool:
    return any(
        token.type in ("html_block", "html_inline") or _has_raw_html(token.children or [])
        for token in tokens
    )


def _escaped_at(text: str, positions: set[int]) -> str:
    return "".join("\\" + char if i in positions else char for i, char in enumerate(text))


def _html_block_starts(text: str, tokens) -> set[int]:
    """The `<` opening each raw HTML block: the first on the block's first line."""
    lines = [0] + [m.end() for m in _LINE_END.finditer(text)]
    return {
        text.index("<", lines[token.map[0]])
        for token in tokens
        if token.type == "html_block" and token.map
    }


def _after_link_destination_opener(text: str, position: int) -> bool:
    """Whether `<` at `position` may open a link destination (`[a](<b c>)`, `[a]: <b c>`),
    which the marks would break."""
    end = _back_over(text, position, " \t\r\n")
    return text[end - 2 : end] in ("](", "]:")


def raw_html_escaped(text: str) -> str:
    """The same markdown with every `<` that begins raw HTML (a tag of any kind, an HTML
    block, a comment) backslash-escaped, so a viewer that honours raw HTML shows it as the
    text our pages show, and loads nothing it names (`<img>`, `<iframe>`, `<video>`,
    `<link>`, …). A `<` in code, an autolink or a link destination stays as written.

    Blocks are found by their line, inline HTML by marks (see `_marked`); the result is parsed
    again until none is left. Text that still holds raw HTML after that has every `<` written
    as `&lt;`, which nothing reads as a tag."""
    for last_pass in [False] * (_PASSES - 1) + [True]:
        tokens = _viewer.parse(text)
        if not _has_raw_html(tokens):
            return text
        text = _escaped_at(text, _html_block_starts(text, tokens))
        starts = [
            start
            for start in _unescaped(text, _HTML_START)
            if last_pass or not _after_link_destination_opener(text, start)
        ]
        text = _escaped_at(text, _marked(text, starts, "html_inline"))
    if _has_raw_html(_viewer.parse(text)):
        return text.replace("<", "&lt;")
    return text


def markdown_for_readers(text: str) -> str:
    """Markdown to hand to a reader (the Markdown export, email): raw HTML escaped and images
    written as links (see `raw_html_escaped`, `images_as_links`), so whatever shows it loads
    nothing."""
    return images_as_links(raw_html_escaped(text))
