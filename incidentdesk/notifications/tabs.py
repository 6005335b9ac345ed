"""The tabs of the notification pages: the engine's deliveries and whatever pages the domains
add (the status page's subscribers), each registered from an AppConfig.ready() with the name
of its URL, so the tab bar links to no domain by name."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Tab:
    name: str  # what a page passes as `active` to notifications/_tabs.html
    label: str
    url_name: str
    order: int


_tabs: dict[str, Tab] = {}


def register_tab(name: str, label: str, url_name: str, *, order: int) -> None:
    """Add a tab (`order` places it: the deliveries are 10)."""
    tab = Tab(name, label, url_name, order)
    if _tabs.get(name, tab) != tab:
        raise ValueError(f"the notification pages already have a {name} tab")
    _tabs[name] = tab


def tabs() -> list[Tab]:
    return sorted(_tabs.values(), key=lambda tab: tab.order)
