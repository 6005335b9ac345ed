"""The public site as static files, for any web server or CDN to host apart from the app.

`write_site(directory)` writes every stored document and the assets the pages use
(public_site.export_site renders first, then calls it); with INCIDENTDESK_STATUSPAGE_EXPORT_DIR
set, every refresh also writes the documents that changed (`write_changes`). Each file is
written to a temporary name and renamed into place, so a web server never serves half a file.

Paths map to files so that nginx's `try_files $uri $uri/index.html =404;` finds them:

    /                       index.html
    /history                history/index.html
    /history/page/2         history/page/2/index.html
    /incidents/<id>         incidents/<id>/index.html
    /api/v2/summary.json    api/v2/summary.json          (and the other v2 files)
    /index.json             index.json                   (the summary again, store.ALIASES)
    /history.atom, .rss     history.atom, history.rss
    /404                    404.html                     (when the pages provide one)
    /logo.png (.jpg, .webp) logo.png …                   (when the page has a logo)
    static assets           static/...                   (the pages link /static/...)
"""

import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

from incidentdesk.statuspage.models import PublicDocument
from incidentdesk.statuspage.store import ALIASES

_FILE_SUFFIXES = (".json", ".atom", ".rss", ".html", ".xml", ".txt", ".png", ".jpg", ".webp")
_STATIC_REF = re.compile(rb"""(?:href|src)=["']/static/([^"'?#]+)""")
# Only files an export writes are ever removed from the directory.
_OURS = re.compile(
    r"^(index\.html|index\.json|404\.html|logo\.(png|jpg|webp)|history.*|incidents/.*|api/v2/.*)$"
)


def file_for(path: str) -> str:
    """The file (relative to the export directory) that holds the document at `path`."""
    clean = path.strip("/")
    if ".." in clean.split("/"):
        raise ValueError(f"refusing path {path!r}")
    if not clean:
        return "index.html"
    if clean == "404":
        return "404.html"
    if clean.endswith(_FILE_SUFFIXES):
        return clean
    return f"{clean}/index.html"


def _write_atomically(target: Path, body: bytes) -> bool:
    """Write `body` to `target` unless it already holds exactly that. Returns whether it
    wrote."""
    if target.exists() and target.stat().st_size == len(body) and target.read_bytes() == body:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return True


def write_changes(directory, changed: dict[str, bytes], removed: Sequence[str] = ()) -> None:
    """Write the changed documents ({path: body}) and delete the removed ones; copy any
    asset the changed pages link that is not there yet. A document's other addresses
    (ALIASES) get the same file."""
    root = Path(directory)
    changed = {**changed, **{a: changed[p] for a, p in ALIASES.items() if p in changed}}
    removed = [*removed, *(a for a, p in ALIASES.items() if p in removed)]
    for path, body in changed.items():
        _write_atomically(root / file_for(path), body)
        _copy_linked_assets(root, body)
    for path in removed:
        (root / file_for(path)).unlink(missing_ok=True)


def _copy_linked_assets(root: Path, body: bytes) -> None:
    for match in _STATIC_REF.finditer(body):
        name = match.group(1).decode()
        found = finders.find(name)
        if found and ".." not in name.split("/"):
            target = root / "static" / name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(found, target)


def _copy_statuspage_assets(root: Path) -> None:
    """The whole static/statuspage folder (CSS, scripts, icons), fresh each export."""
    for base in settings.STATICFILES_DIRS:
        source = Path(base) / "statuspage"
        if source.is_dir():
            for file in source.rglob("*"):
                if file.is_file():
                    _write_atomically(
                        root / "static" / "statuspage" / file.relative_to(source),
                        file.read_bytes(),
                    )


def write_site(directory) -> int:
    """Write the whole stored public site into `directory` (created if needed): every
    document and the assets they use. A document that failed to render is written in its
    last good version (see `render_failures.failing_documents`). Files already up to date are
    left alone; files of documents that no longer exist are removed. Returns the number of
    documents."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    _copy_statuspage_assets(root)
    documents = dict(PublicDocument.objects.values_list("path", "body"))
    write_changes(root, {path: bytes(body) for path, body in documents.items()})
    paths = [*documents, *(a for a, p in ALIASES.items() if p in documents)]
    _remove_stale(root, {file_for(path) for path in paths})
    return len(documents)


def _remove_stale(root: Path, keep: set[str]) -> None:
    """Remove exported pages of documents that are gone (a publication's page, a history
    page). Assets and files the export did not write are left alone."""
    for file in list(root.rglob("*")):
        relative = file.relative_to(root).as_posix()
        if file.is_file() and _OURS.match(relative) and relative not in keep:
            file.unlink()
