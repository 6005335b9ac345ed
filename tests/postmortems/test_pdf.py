import io

from pypdf import PdfReader

from incidentdesk.core.sources import ActionSource
from incidentdesk.postmortems import pdf, services


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_pdf_is_produced_and_has_the_sections(started, responder):
    postmortem = started(title="Checkout is failing")
    result = services.postmortem_edit(
        actor=responder,
        source=ActionSource.WEB,
        postmortem=postmortem,
        sections={"summary": "Payments timed out → orders were lost."},
        taxonomy="DATA_QUALITY < FAILED_MIGRATION",
    )
    data = pdf.to_pdf(result.postmortem)
    assert data.startswith(b"%PDF")
    text = _text(data)
    for title in ("Summary", "Impact", "Timeline", "Five whys", "Lessons learned", "Conclusion"):
        assert title in text
    assert "Checkout is failing" in text and "Time to recover" in text
    assert "DATA_QUALITY < FAILED_MIGRATION" in text
    assert "Payments timed out → orders were lost." in text


def test_without_a_unicode_font_the_pdf_still_renders(started, monkeypatch):
    monkeypatch.setattr(pdf, "FONT_DIRS", ())
    text = _text(pdf.to_pdf(started()))
    assert "Summary" in text and "Time to recover" in text


def test_pdf_from_the_cli_and_the_page(cli, started, tmp_path, client, responder):
    postmortem = started()
    ref = postmortem.incident.reference
    target = tmp_path / "pm.pdf"
    assert cli("postmortem", "export", ref, "--format", "pdf", "-o", str(target)).code == 0
    assert target.read_bytes().startswith(b"%PDF")
    run = cli("postmortem", "export", ref, "--format", "pdf")
    assert run.code == 2 and "--output" in run.err
    client.force_login(responder)
    response = client.get(f"/incidents/{ref}/postmortem/export?format=pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
