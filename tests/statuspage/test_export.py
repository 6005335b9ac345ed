"""The static export: every document as a file a plain web server can serve, the assets the
pages link, atomic writes, and a directory kept up to date on every change."""

import json
import re
from pathlib import Path

import pytest

from incidentdesk.core.sources import ActionSource
from incidentdesk.statuspage import services
from incidentdesk.statuspage.export import file_for
from incidentdesk.statuspage.models import PublicDocument
from incidentdesk.statuspage.public_site import export_site, refresh
from tests.statuspage.schemas.sample import SCHEMA_FOR, build_page

WEB = ActionSource.WEB


@pytest.fixture
def page(manager):
    return build_page(manager)


@pytest.mark.parametrize(
    ("path", "file"),
    [
        ("/", "index.html"),
        ("/history", "history/index.html"),
        ("/history/page/2", "history/page/2/index.html"),
        ("/incidents/abc123", "incidents/abc123/index.html"),
        ("/api/v2/incidents/unresolved.json", "api/v2/incidents/unresolved.json"),
        ("/history.atom", "history.atom"),
    ],
)
def test_paths_map_to_files_a_web_server_finds(path, file):
    assert file_for(path) == file


def test_a_path_climbing_out_of_the_directory_is_refused():
    with pytest.raises(ValueError):
        file_for("/incidents/../../etc/passwd")


def test_export_writes_every_document_as_a_file(page, tmp_path):
    count = export_site(tmp_path)
    documents = dict(PublicDocument.objects.values_list("path", "body"))
    assert count == len(documents)
    for path, body in documents.items():
        assert (tmp_path / file_for(path)).read_bytes() == bytes(body), path
    for path in SCHEMA_FOR:
        json.loads((tmp_path / file_for(path)).read_text())
    assert (tmp_path / "index.html").exists()
    assert (tmp_path / "incidents" / page["active"].public_id / "index.html").exists()


def test_export_copies_every_asset_the_pages_link(page, tmp_path):
    export_site(tmp_path)
    linked = set()
    for html in tmp_path.rglob("*.html"):
        linked |= set(re.findall(r'(?:href|src)="/static/([^"?#]+)"', html.read_text()))
    assert linked, "the pages link their stylesheet"
    for name in linked:
        assert (tmp_path / "static" / name).is_file(), name


def test_export_leaves_no_temporary_files(page, tmp_path):
    export_site(tmp_path)
    export_site(tmp_path)
    assert not [p for p in tmp_path.rglob(".*") if p.is_file()]


def test_export_removes_pages_that_no_longer_exist_but_keeps_foreign_files(page, tmp_path):
    (tmp_path / "incidents" / "gone").mkdir(parents=True)
    (tmp_path / "incidents" / "gone" / "index.html").write_text("old")
    (tmp_path / "robots.txt").write_text("User-agent: *")
    export_site(tmp_path)
    assert not (tmp_path / "incidents" / "gone" / "index.html").exists()
    assert (tmp_path / "robots.txt").exists()


def test_the_export_dir_setting_keeps_the_files_up_to_date(
    page, tmp_path, settings, manager, django_capture_on_commit_callbacks
):
    settings.STATUSPAGE_EXPORT_DIR = str(tmp_path)
    refresh()
    summary = Path(tmp_path, "api/v2/summary.json")
    assert b"Update for the mirror." not in summary.read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        services.publication_update(
            actor=manager,
            source=WEB,
            public_incident=page["active"],
            message="Update for the mirror.",
        )
    assert b"Update for the mirror." in summary.read_bytes()
    assert b"Update for the mirror." in Path(tmp_path, "index.html").read_bytes()
