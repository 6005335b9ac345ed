from incidentdesk.statuspage.models import PageSettings


def site_banner(request) -> dict:
    """The site-wide banner (e.g. read-only during recovery) for the team's pages too."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    page = PageSettings.objects.filter(pk=1, banner_active=True).first()
    return {"site_banner": page}
