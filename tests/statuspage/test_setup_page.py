"""The public page's name and logo, set from the status page screen, the API and the CLI (one
service): the logo is a PNG, JPEG or WebP image, re-encoded, served from our own origin with its
image type and nosniff; SVG, other files, damaged and oversized images are refused naming
`logo`."""

import io
import struct
import zlib
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from PIL import Image, PngImagePlugin

from incidentdesk.core.errors import PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.statuspage import public_site
from incidentdesk.statuspage.appearance import LOGO_MAX_BYTES, page_settings_set
from incidentdesk.statuspage.export import write_site
from incidentdesk.statuspage.models import PageLogo, PageSettings
from incidentdesk.statuspage.public_site import refresh_or_raise

WEB = ActionSource.WEB
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)


def image_bytes(kind: str = "PNG", size=(40, 20), **save) -> bytes:
    out = io.BytesIO()
    mode = "RGB" if kind == "JPEG" else "RGBA"
    Image.new(mode, size, (200, 40, 40)).save(out, kind, **save)
    return out.getvalue()


def png_with_a_secret() -> bytes:
    """A PNG carrying a text chunk and bytes after its end: neither may reach the public."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "internal-hostname.corp")
    return image_bytes("PNG", pnginfo=info) + b"<script>alert(1)</script>"


def png_claiming(width: int, height: int) -> bytes:
    """A 1×1 PNG whose header claims another size (a small file, a huge image)."""
    data = bytearray(image_bytes("PNG", size=(1, 1)))
    ihdr = bytearray(data[12:29])  # type + 13 bytes of IHDR data
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    return bytes(data)


@pytest.fixture(autouse=True)
def _fresh_cache():
    public_site.cache.reset()
    yield
    public_site.cache.reset()


def served(path: str):
    return Client().get(path)


def test_a_manager_names_the_page_and_every_public_page_and_the_api_say_it(manager):
    page_settings_set(actor=manager, source=WEB, name="Acme Cloud status")
    refresh_or_raise()
    assert "<title>Acme Cloud status</title>" in served("/").content.decode()
    assert "Acme Cloud status" in served("/history").content.decode()
    assert served("/api/v2/status.json").json()["page"]["name"] == "Acme Cloud status"


def test_an_uploaded_logo_is_re_encoded_and_served_from_our_origin_as_an_image(manager):
    page = page_settings_set(actor=manager, source=WEB, logo=png_with_a_secret())
    refresh_or_raise()
    response = served(page.logo_path)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = response.content
    assert b"internal-hostname" not in body and b"<script>" not in body
    with Image.open(io.BytesIO(body)) as image:
        assert image.format == "PNG" and image.size == (40, 20)
    assert (page.logo_width, page.logo_height) == (40, 20)


@pytest.mark.parametrize(
    ("kind", "path", "content_type"),
    [("JPEG", "/logo.jpg", "image/jpeg"), ("WEBP", "/logo.webp", "image/webp")],
)
def test_jpeg_and_webp_logos_keep_their_format(manager, kind, path, content_type):
    page = page_settings_set(actor=manager, source=WEB, logo=image_bytes(kind))
    refresh_or_raise()
    assert page.logo_path == path
    assert served(path)["Content-Type"] == content_type


def test_a_large_logo_is_scaled_down_to_fit(manager):
    page = page_settings_set(actor=manager, source=WEB, logo=image_bytes("PNG", size=(3000, 600)))
    assert (page.logo_width, page.logo_height) == (1024, 205)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (SVG, "SVG is refused because it can carry scripts"),
        (b"<svg onload='alert(1)'></svg>", "SVG is refused"),
        (b"<html><body>hello</body></html>", "must be a PNG, JPEG or WebP image"),
        (b"just some text", "must be a PNG, JPEG or WebP image"),
        (image_bytes("GIF"), "must be a PNG, JPEG or WebP image"),
        (image_bytes("BMP"), "must be a PNG, JPEG or WebP image"),
        (image_bytes("PNG")[:60], "could not be read as an image"),
        (png_claiming(20_000, 20_000), "too many pixels"),
        (b"\x89PNG" + b"\0" * (LOGO_MAX_BYTES + 1), "is larger than 1024 KB"),
        (b"", "choose an image file"),
    ],
)
def test_anything_but_a_png_jpeg_or_webp_image_is_refused_naming_logo(manager, data, words):
    with pytest.raises(ValidationError) as refused:
        page_settings_set(actor=manager, source=WEB, logo=data)
    assert refused.value.field == "logo"
    assert words in refused.value.message
    assert not PageLogo.objects.exists() and not PageSettings.load().logo_format


def test_a_responder_may_not_change_the_page(responder):
    with pytest.raises(PermissionDenied):
        page_settings_set(actor=responder, source=WEB, name="Mine now")
    assert PageSettings.load().name == "Status"


def test_a_blank_name_is_refused_naming_name(manager):
    with pytest.raises(ValidationError) as refused:
        page_settings_set(actor=manager, source=WEB, name="  ")
    assert refused.value.field == "name"


def test_the_public_pages_show_the_logo_with_the_page_name_as_its_text(manager):
    page = page_settings_set(actor=manager, source=WEB, name="Acme", logo=image_bytes())
    refresh_or_raise()
    for path in ("/", "/history"):
        html = served(path).content.decode()
        assert f'<img class="sp-logo" src="{page.logo_url}" alt="Acme"' in html


def test_removing_the_logo_takes_it_off_the_public_site(manager):
    page = page_settings_set(actor=manager, source=WEB, logo=image_bytes())
    refresh_or_raise()
    path = page.logo_path
    page_settings_set(actor=manager, source=WEB, remove_logo=True)
    refresh_or_raise()
    public_site.cache.reset()
    assert served(path).status_code == 404
    assert "sp-logo" not in served("/").content.decode()
    assert not PageLogo.objects.exists()


def test_the_static_export_carries_the_logo(manager, tmp_path):
    page = page_settings_set(actor=manager, source=WEB, logo=image_bytes("WEBP"))
    refresh_or_raise()
    write_site(tmp_path)
    assert (tmp_path / "logo.webp").read_bytes()[:4] == b"RIFF"
    assert page.logo_url.startswith("/logo.webp?v=")


# The status page screen ----------------------------------------------------------------------


def test_the_status_page_screen_sets_the_name_and_uploads_a_logo(manager_client):
    upload = SimpleUploadedFile("logo.png", image_bytes(), content_type="image/png")
    response = manager_client.post(
        "/statuspage/page", {"name": "Acme status", "logo": upload}, follow=True
    )
    assert response.status_code == 200
    page = PageSettings.load()
    assert page.name == "Acme status" and page.logo_format == "png"
    assert f'src="{page.logo_url}"' in response.content.decode()


def test_the_screen_puts_a_refused_logo_s_sentence_at_the_field(manager_client):
    upload = SimpleUploadedFile("logo.svg", SVG, content_type="image/svg+xml")
    response = manager_client.post("/statuspage/page", {"name": "Acme status", "logo": upload})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="page_logo_error"' in html and "SVG is refused" in html
    assert PageSettings.load().name == "Status"  # nothing of the refused form was kept


def test_a_responder_sees_the_page_settings_but_no_form(client, responder):
    client.force_login(responder)
    html = client.get("/statuspage/").content.decode()
    assert 'id="page-h"' in html and 'action="/statuspage/page"' not in html


# The API and the CLI -------------------------------------------------------------------------


def test_the_api_reads_and_sets_the_name_and_the_logo(api_client, manager):
    client = api_client(manager)
    assert client.call("GET", "/statuspage/settings").json_body == {
        "name": "Status",
        "logo_url": None,
        "logo_width": None,
        "logo_height": None,
    }
    named = client.call("PUT", "/statuspage/settings", {"name": "Acme"})
    assert named.status_code == 200 and named.json_body["name"] == "Acme"
    uploaded = client.post(
        "/api/v1/statuspage/logo", {"logo": SimpleUploadedFile("l.jpg", image_bytes("JPEG"))}
    )
    assert uploaded.status_code == 200
    assert uploaded.json()["logo_url"].startswith("/logo.jpg?v=")
    refused = client.post("/api/v1/statuspage/logo", {"logo": SimpleUploadedFile("l.svg", SVG)})
    assert refused.status_code == 422 and "logo" in refused.json()["detail"]
    assert client.call("DELETE", "/statuspage/logo").json_body["logo_url"] is None


def test_a_responder_s_token_may_not_set_the_name(api_client, responder):
    response = api_client(responder).call("PUT", "/statuspage/settings", {"name": "Mine"})
    assert response.status_code == 403


def test_the_cli_sets_and_shows_the_name_and_the_logo(manager, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(image_bytes())
    out = StringIO()
    call_command(
        "statuspage",
        "page",
        "--name",
        "Acme",
        "--logo",
        str(logo),
        as_user=manager.username,
        stdout=out,
    )
    assert "name: Acme" in out.getvalue() and "logo: /logo.png (40×20)" in out.getvalue()
    out = StringIO()
    call_command("statuspage", "page", "--no-logo", as_user=manager.username, stdout=out)
    assert "logo: none" in out.getvalue()
