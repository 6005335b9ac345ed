"""How the public page presents itself: its name and its logo.

A logo is an uploaded PNG, JPEG or WebP image. It is decoded and encoded again with Pillow, so
what is stored and served is pixels we wrote (no metadata, no trailing bytes, no second file
hidden behind the first), in the format it came in, at most LOGO_MAX_PIXELS wide and high.
SVG is refused: it is a document that can carry scripts. The logo is stored in the database
(PageLogo) and served by the public site like its other documents (render.py), from our own
origin, with its image content type and `X-Content-Type-Options: nosniff`; it is never fetched
from a URL."""

import hashlib
import io
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.checks import check_text
from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.statuspage.models import LOGO_TYPES, PageLogo, PageSettings
from incidentdesk.statuspage.public_site import refresh_after_commit

LOGO_MAX_BYTES = 1024 * 1024  # what may be uploaded
LOGO_MAX_PIXELS = 1024  # the stored logo fits in a square this wide; larger ones are scaled down
DECODE_MAX_PIXELS = 40_000_000  # refuse to decode more (a small file can claim a huge image)
FORMATS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}
NAME_MAX = 100

NOT_AN_IMAGE = "must be a PNG, JPEG or WebP image"
TOO_MANY_PIXELS = "has too many pixels; use a smaller image"


@dataclass(frozen=True)
class Logo:
    """A logo ready to store: its re-encoded bytes, format and size."""

    image: bytes
    format: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return LOGO_TYPES[self.format]


def _refuse_svg(data: bytes) -> None:
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head:
        raise ValidationError(
            NOT_AN_IMAGE + "; SVG is refused because it can carry scripts", field="logo"
        )


def logo_from_upload(data: bytes) -> Logo:
    """The logo `data` holds, decoded and encoded again; refused naming `logo` when it is too
    large, not a PNG, JPEG or WebP image, or cannot be decoded whole."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise ValidationError("choose an image file", field="logo")
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError(
            f"is larger than {LOGO_MAX_BYTES // 1024} KB; use a smaller image", field="logo"
        )
    _refuse_svg(bytes(data))
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
            width, height = image.size
            if width * height > DECODE_MAX_PIXELS:
                raise ValidationError(TOO_MANY_PIXELS, field="logo")
            kind = FORMATS[str(image.format)]
            image.load()  # decode now: a truncated or corrupt file fails here
            return _encoded(image, kind)
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise ValidationError(TOO_MANY_PIXELS, field="logo") from None
    except UnidentifiedImageError:
        raise ValidationError(NOT_AN_IMAGE, field="logo") from None
    except (OSError, ValueError, SyntaxError):
        raise ValidationError(
            "could not be read as an image (damaged or cut short?)", field="logo"
        ) from None


def _encoded(image: Image.Image, kind: str) -> Logo:
    """`image` (its first frame) encoded again as `kind`, scaled to fit LOGO_MAX_PIXELS."""
    if kind == "jpeg":
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    image.thumbnail((LOGO_MAX_PIXELS, LOGO_MAX_PIXELS))
    out = io.BytesIO()
    if kind == "png":
        image.save(out, "PNG", optimize=True)
    elif kind == "jpeg":
        image.save(out, "JPEG", quality=90)
    else:
        image.save(out, "WEBP", quality=90)
    return Logo(out.getvalue(), kind, image.width, image.height)


def page_settings_set(
    *,
    actor,
    source: ActionSource,
    name: str | None = None,
    logo: bytes | None = None,
    remove_logo: bool = False,
) -> PageSettings:
    """Set the public page's name and/or its logo (status page managers). `logo` is the
    uploaded file's bytes (see `logo_from_upload`); `remove_logo` takes the logo away. What is
    not given stays as it is. The public documents are rendered again after commit."""
    require(actor, Perm.STATUSPAGE_MANAGE)
    if name is not None:
        name = check_text(name, field="name", max_length=NAME_MAX, required=True)
    if logo is not None and remove_logo:
        raise ValidationError("upload a logo or remove it, not both", field="logo")
    clean = logo_from_upload(logo) if logo is not None else None
    with transaction.atomic():
        page = PageSettings.load()
        if name is not None:
            page.name = name
        if clean is not None:
            PageLogo.objects.update_or_create(
                pk=1,
                defaults={
                    "image": clean.image,
                    "uploaded_by": actor,
                    "uploaded_at": timezone.now(),
                },
            )
            page.logo_format, page.logo_width, page.logo_height = (
                clean.format,
                clean.width,
                clean.height,
            )
            page.logo_version = hashlib.sha256(clean.image).hexdigest()[:12]
        elif remove_logo:
            PageLogo.objects.filter(pk=1).delete()
            page.logo_format, page.logo_width, page.logo_height, page.logo_version = "", 0, 0, ""
        page.updated_at = timezone.now()
        page.save()
        refresh_after_commit()
    return page
