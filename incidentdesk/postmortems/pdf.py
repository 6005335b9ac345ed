"""The postmortem as PDF (fpdf2): the Markdown export rendered as simple HTML onto pages.

A Unicode TrueType font (DejaVu Sans, found in the usual system places) is used when present;
without one the built-in Helvetica is used and characters outside Latin-1 are replaced."""

import logging
from pathlib import Path

from fpdf import FPDF

from incidentdesk.core.markdown import render_markdown
from incidentdesk.postmortems.models import Postmortem
from incidentdesk.postmortems.present import to_markdown

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
FONT_FILES["BI"] = "DejaVuSans-BoldOblique.ttf"
# Latin-1 stand-ins for the few non-Latin-1 characters our own text uses.
# fontTools reports each font subset it makes; that is noise in a command's output.
logging.getLogger("fontTools").setLevel(logging.ERROR)

FALLBACKS = {"→": "->", "—": "-", "–": "-", "·": "-", "“": '"', "”": '"', "’": "'", "…": "..."}


def _unicode_font(pdf: FPDF) -> bool:
    for folder in FONT_DIRS:
        if all((folder / name).is_file() for name in FONT_FILES.values()):
            for style, name in FONT_FILES.items():
                pdf.add_font("DejaVu", style, str(folder / name))
            pdf.set_font("DejaVu", size=11)
            return True
    return False


def _latin1(text: str) -> str:
    for char, stand_in in FALLBACKS.items():
        text = text.replace(char, stand_in)
    return text.encode("latin-1", "replace").decode("latin-1")


def to_pdf(postmortem: Postmortem) -> bytes:
    """The same document as the Markdown export, as PDF bytes."""
    pdf = FPDF(format="A4")
    pdf.set_title(f"Postmortem {postmortem.incident.reference}")
    pdf.set_creator("IncidentDesk")
    pdf.add_page()
    html = str(render_markdown(to_markdown(postmortem)))
    if _unicode_font(pdf):
        pdf.write_html(html, font_family="DejaVu")
    else:
        pdf.set_font("Helvetica", size=11)
        pdf.write_html(_latin1(html))
    return bytes(pdf.output())
