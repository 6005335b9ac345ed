from incidentdesk.core.markdown import render_markdown


def test_markdown_renders_commonmark():
    assert (
        render_markdown("**bold** and `code`")
        == "<p><strong>bold</strong> and <code>code</code></p>\n"
    )


def test_markdown_escapes_raw_html_and_drops_script_links():
    html = render_markdown(
        '<img src=x onerror=alert(1)> [a](javascript:alert(1)) <a href="x">y</a>'
    )
    assert "<img" not in html
    assert "<a href" not in html
    assert 'href="javascript' not in html


def test_markdown_links_get_noopener():
    assert 'rel="noopener noreferrer"' in render_markdown("[site](https://example.com)")
