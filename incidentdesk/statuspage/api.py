"""Publishing endpoints of the JSON API (/api/v1): parse, call the service, render."""

from ninja import File, Router, Status
from ninja.files import UploadedFile

from incidentdesk.core.errors import NotFound
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.api import _incident
from incidentdesk.statuspage import services
from incidentdesk.statuspage.appearance import LOGO_MAX_BYTES, page_settings_set
from incidentdesk.statuspage.models import PageSettings, PublicIncident
from incidentdesk.statuspage.schemas import (
    BannerIn,
    BannerOut,
    ComponentStatusIn,
    MaintenanceIn,
    MaintenanceUpdateIn,
    PageSettingsIn,
    PageSettingsOut,
    PublicationIn,
    PublicationOut,
    PublicUpdateIn,
    ResolveIn,
)

router = Router(tags=["status page"])
API = ActionSource.API


def _with_details(queryset):
    return queryset.select_related("incident").prefetch_related("updates", "affected__component")


def _publication(request, reference: str) -> PublicIncident:
    incident = _incident(request, reference)
    publication = _with_details(PublicIncident.objects.filter(incident=incident)).first()
    if publication is None:
        raise NotFound(f"{incident.reference} is not published", field="reference")
    return publication


def _maintenance(public_id: str) -> PublicIncident:
    found = _with_details(PublicIncident.objects.maintenances().filter(public_id=public_id)).first()
    if found is None:
        raise NotFound(f"no scheduled maintenance {public_id!r}", field="id")
    return found


@router.get("/incidents/{reference}/publication", response=PublicationOut)
def get_publication(request, reference: str):
    return _publication(request, reference)


@router.post("/incidents/{reference}/publication", response={201: PublicationOut})
def publish(request, reference: str, payload: PublicationIn):
    services.publication_create(
        actor=request.auth, source=API, incident=_incident(request, reference), **payload.dict()
    )
    return Status(201, _publication(request, reference))


@router.post("/incidents/{reference}/publication/updates", response={201: PublicationOut})
def post_update(request, reference: str, payload: PublicUpdateIn):
    services.publication_update(
        actor=request.auth,
        source=API,
        public_incident=_publication(request, reference),
        **payload.dict(),
    )
    return Status(201, _publication(request, reference))


@router.post("/incidents/{reference}/publication/resolve", response=PublicationOut)
def resolve(request, reference: str, payload: ResolveIn):
    services.publication_resolve(
        actor=request.auth,
        source=API,
        public_incident=_publication(request, reference),
        **payload.dict(),
    )
    return _publication(request, reference)


@router.get("/maintenances", response=list[PublicationOut])
def list_maintenances(request):
    return _with_details(PublicIncident.objects.maintenances())[:100]


@router.post("/maintenances", response={201: PublicationOut})
def schedule_maintenance(request, payload: MaintenanceIn):
    maintenance = services.maintenance_schedule(actor=request.auth, source=API, **payload.dict())
    return Status(201, _maintenance(maintenance.public_id))


@router.post("/maintenances/{public_id}/updates", response={201: PublicationOut})
def update_maintenance(request, public_id: str, payload: MaintenanceUpdateIn):
    services.maintenance_update(
        actor=request.auth, source=API, maintenance=_maintenance(public_id), **payload.dict()
    )
    return Status(201, _maintenance(public_id))


@router.post("/components/{component_id}/status", response={200: dict})
def set_component_status(request, component_id: str, payload: ComponentStatusIn):
    component = services.component_by_key(component_id)
    services.component_status_change(
        actor=request.auth, source=API, component=component, status=payload.status
    )
    return {"name": component.name, "status": component.status}


@router.get("/statuspage/banner", response=BannerOut)
def get_banner(request):
    page = PageSettings.load()
    return {"active": page.banner_active, "message": page.banner_message, "kind": page.banner_kind}


@router.put("/statuspage/banner", response=BannerOut)
def set_banner(request, payload: BannerIn):
    page = services.banner_set(actor=request.auth, source=API, **payload.dict())
    return {"active": page.banner_active, "message": page.banner_message, "kind": page.banner_kind}


def _page_settings(page: PageSettings) -> dict:
    logo = bool(page.logo_format)
    return {
        "name": page.name,
        "logo_url": page.logo_url or None,
        "logo_width": page.logo_width if logo else None,
        "logo_height": page.logo_height if logo else None,
    }


@router.get("/statuspage/settings", response=PageSettingsOut)
def get_page_settings(request):
    return _page_settings(PageSettings.load())


@router.put("/statuspage/settings", response=PageSettingsOut)
def set_page_settings(request, payload: PageSettingsIn):
    page = page_settings_set(actor=request.auth, source=API, name=payload.name)
    return _page_settings(page)


@router.post("/statuspage/logo", response=PageSettingsOut)
def upload_logo(request, logo: File[UploadedFile]):
    """A multipart upload whose `logo` part is a PNG, JPEG or WebP image of at most 1 MB."""
    data = logo.read(LOGO_MAX_BYTES + 1)
    page = page_settings_set(actor=request.auth, source=API, logo=data)
    return _page_settings(page)


@router.delete("/statuspage/logo", response=PageSettingsOut)
def remove_logo(request):
    page = page_settings_set(actor=request.auth, source=API, remove_logo=True)
    return _page_settings(page)
