"""A static export carries /index.json too (the summary, where Statuspage consumers poll), and
keeps it current with summary.json."""

from pathlib import Path

from incidentdesk.core.sources import ActionSource
from incidentdesk.statuspage import services
from incidentdesk.statuspage.public_site import export_site, refresh
from tests.statuspage.schemas.sample import build_page


def test_the_export_writes_index_json_as_the_summary(manager, tmp_path):
    build_page(manager)
    export_site(tmp_path)
    summary = Path(tmp_path, "api/v2/summary.json").read_bytes()
    assert Path(tmp_path, "index.json").read_bytes() == summary
    export_site(tmp_path)  # a second export keeps it (it is not a stale file)
    assert Path(tmp_path, "index.json").read_bytes() == summary


def test_the_export_dir_keeps_index_json_current(
    manager, tmp_path, settings, django_capture_on_commit_callbacks
):
    page = build_page(manager)
    settings.STATUSPAGE_EXPORT_DIR = str(tmp_path)
    refresh()
    with django_capture_on_commit_callbacks(execute=True):
        services.publication_update(
            actor=manager,
            source=ActionSource.WEB,
            public_incident=page["active"],
            message="Update for the index.",
        )
    index = Path(tmp_path, "index.json").read_bytes()
    assert b"Update for the index." in index
    assert index == Path(tmp_path, "api/v2/summary.json").read_bytes()
