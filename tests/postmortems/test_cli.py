import re

import pytest


@pytest.fixture
def ref(resolved):
    return resolved(title="Checkout is failing").reference


def test_start_edit_show_a_postmortem_from_the_cli(cli, ref, responder):
    assert cli("postmortem", "start", ref, "--as", "rita").code == 0
    run = cli(
        "postmortem", "edit", ref, "--section", "summary", "--text", "Alice caused the outage.",
        "--as", "rita",
    )  # fmt: skip
    assert run.code == 0 and "saved" in run.out
    assert "warning: sections.summary: 'Alice caused'" in run.err
    shown = cli("postmortem", "show", ref)
    assert shown.code == 0
    assert "# Postmortem: " in shown.out and "Alice caused the outage." in shown.out
    assert "**Time to recover:**" in shown.out


def test_a_section_is_read_from_a_file(cli, ref, responder, tmp_path):
    cli("postmortem", "start", ref, "--as", "rita")
    path = tmp_path / "lessons.md"
    path.write_text("Alerts on replica lag are missing.")
    run = cli(
        "postmortem", "edit", ref, "--section", "lessons", "--file", str(path), "--as", "rita"
    )
    assert run.code == 0
    assert "Alerts on replica lag are missing." in cli("postmortem", "show", ref).out


def test_bad_input_exits_2_with_one_line(cli, ref, responder):
    cli("postmortem", "start", ref, "--as", "rita")
    run = cli("postmortem", "edit", ref, "--taxonomy", "COSMIC_RAYS", "--as", "rita")
    assert run.code == 2 and run.err.startswith("error: taxonomy: unknown term 'COSMIC_RAYS'")
    run = cli("postmortem", "edit", ref, "--section", "nope", "--text", "x", "--as", "rita")
    assert run.code == 2 and "sections.nope" in run.err
    run = cli("postmortem", "edit", ref, "--text", "x", "--as", "rita")
    assert run.code == 2 and "--section" in run.err
    assert cli("postmortem", "show", "INC-1999-0001").code == 2


def test_export_markdown_and_self_contained_html(cli, ref, responder, tmp_path):
    cli("postmortem", "start", ref, "--as", "rita")
    cli("postmortem", "edit", ref, "--taxonomy", "data_quality < failed_migration", "--as", "rita")
    markdown = cli("postmortem", "export", ref, "--format", "markdown").out
    assert "Taxonomy: `DATA_QUALITY < FAILED_MIGRATION`" in markdown
    target = tmp_path / "pm.html"
    assert cli("postmortem", "export", ref, "--format", "html", "-o", str(target)).code == 0
    html = target.read_text()
    assert "<style>" in html and "<h2>Five whys</h2>" in html
    assert "Checkout is failing" in html
    # Self-contained: no stylesheet, script, image or font fetched from anywhere.
    assert not re.search(r"<(link|script|img)\b|@import|url\(", html)


def test_review_from_the_cli(cli, ref, responder, manager):
    cli("postmortem", "start", ref, "--as", "rita")
    cli("postmortem", "edit", ref, "--taxonomy", "MISSING_TEST", "--as", "rita")
    run = cli("postmortem", "review", ref, "in_review", "--as", "rita")
    assert run.code == 2 and "reviewers" in run.err
    assert (
        cli("postmortem", "review", ref, "in_review", "--reviewer", "manny", "--as", "rita").code
        == 0
    )
    run = cli("postmortem", "review", ref, "published", "--as", "manny")
    assert run.code == 0 and "published" in run.out
