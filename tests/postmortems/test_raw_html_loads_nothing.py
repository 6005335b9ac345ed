"""Markdown handed to readers (the postmortem's Markdown export, email) shows raw HTML as the
text our pages show, and images of any scheme as links: whatever viewer opens it loads nothing."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from incidentdesk.core.markdown import markdown_for_readers
from incidentdesk.core.sources import ActionSource
from incidentdesk.postmortems.services import postmortem_edit
from tests.image_traps import MARKDOWN_ELEMENTS, raw_html, viewer_elements

URL = "http://127.0.0.1:9/graph.png"


def test_the_markdown_export_shows_raw_html_as_text_and_loads_nothing(started, responder, client):
    postmortem = postmortem_edit(
        actor=responder,
        source=ActionSource.WEB,
        postmortem=started(),
        sections={"summary": raw_html(URL)},
    ).postmortem
    client.force_login(responder)
    url = reverse("postmortem_export", args=[postmortem.incident.reference])
    text = client.get(url, {"format": "markdown"}).content.decode()
    assert viewer_elements(text) <= MARKDOWN_ELEMENTS
    assert f'\\<img src="{URL}" alt="graph">' in text
    assert "[passwd](file:///etc/passwd)" in text and "![" not in text
    # The HTML export, made from the same Markdown, reads the same as before: the tag as text.
    html = client.get(url, {"format": "html"}).content.decode()
    assert f'&lt;img src="{URL}" alt="graph"&gt;' in html


@pytest.mark.parametrize(
    ("markdown", "written"),
    [
        (f'See <img src="{URL}">.', f'See \\<img src="{URL}">.'),
        ("<IMG SRC=x>", "\\<IMG SRC=x>"),
        (
            f'<picture><source srcset="{URL}"></picture>',
            f'\\<picture>\\<source srcset="{URL}">\\</picture>',
        ),
        (f"<video src={URL}></video>", f"\\<video src={URL}>\\</video>"),
        (f"<audio src={URL}>", f"\\<audio src={URL}>"),
        (f"<iframe src={URL}></iframe>", f"\\<iframe src={URL}>\\</iframe>"),
        (f"<object data={URL}><embed src={URL}>", f"\\<object data={URL}>\\<embed src={URL}>"),
        (f"<link rel=stylesheet href={URL}>", f"\\<link rel=stylesheet href={URL}>"),
        (f"<svg><image href={URL} /></svg>", f"\\<svg>\\<image href={URL} />\\</svg>"),
        # An HTML block, and one inside a quoted list; an attribute holding a tag.
        (f"<div>\n<img src={URL}>\n</div>", f"\\<div>\n\\<img src={URL}>\n\\</div>"),
        ("> - a\n>   <div>\n>   <img src=x>", "> - a\n>   \\<div>\n>   \\<img src=x>"),
        ('<img alt="<b>" src=x>', '\\<img alt="\\<b>" src=x>'),
        ("<pre\n<img src=x>\n</pre>", "\\<pre\n\\<img src=x>\n\\</pre>"),
        ("<!-- hidden --> <?php ?>", "\\<!-- hidden --> \\<?php ?>"),
        # Images whose scheme our parser refuses are still images to a lenient viewer.
        ("![e](file:///etc/passwd)", "[e](file:///etc/passwd)"),
        ("![d](data:image/png;base64,AAAA)", "[d](data:image/png;base64,AAAA)"),
        ("![x][r]\n\n[r]: file:///srv/a.png", "[x][r]\n\n[r]: file:///srv/a.png"),
        # Not raw HTML: left exactly as written.
        ("`<img src=x>`\n\n    <img src=y>\n\n```\n<iframe>\n```", None),
        ("<https://example.com/> and <ops@example.com>", None),
        ("[the file](<my notes.md>) and [ref]\n\n[ref]: <a b>", None),
        ("a < b, 1<2 and \\<img src=x>", None),
    ],
)
def test_markdown_for_readers_escapes_raw_html_and_links_images(markdown, written):
    assert markdown_for_readers(markdown) == (markdown if written is None else written)


TEXT = st.lists(
    st.sampled_from(
        [
            "<",
            ">",
            "<img src=x>",
            "<div>",
            "</div>",
            "<pre",
            "<!--",
            "-->",
            "`",
            "```",
            "\n",
            "\n\n",
            "    ",
            "> ",
            "- ",
            "[a]",
            "](",
            "]:",
            "(",
            ")",
            '"',
            "!",
            "![",
            "\\",
            " ",
            "x",
            "<https://a.example>",
            "file:///etc/passwd",
        ]
    ),
    max_size=30,
).map("".join)


@given(TEXT)
def test_whatever_is_written_a_markdown_viewer_draws_only_markdown(text):
    assert viewer_elements(markdown_for_readers(text)) <= MARKDOWN_ELEMENTS
