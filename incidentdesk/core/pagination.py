"""How every list of the JSON API is paged: `?page=N`, 25 items a page, `{"items", "count"}`.

A page number that is not a whole number of at least 1 is refused by the schema; a page past
the last one is refused here, before the database is asked for an offset it cannot hold (a
page number of 10^18 once reached SQLite as an overflowing OFFSET and answered an HTML 500).
Both are a 422 naming `page`; page 1 of an empty list is an empty page, not an error."""

from ninja.pagination import PageNumberPagination

from incidentdesk.core.errors import ValidationError

PAGE_SIZE = 25


def last_page(count: int, size: int) -> int:
    return max(1, -(-count // size))


class Page(PageNumberPagination):
    # ninja's __init__ sets page_size from its own default, so a class attribute is ignored.
    def __init__(self, page_size: int = PAGE_SIZE, **kwargs):
        super().__init__(page_size=page_size, **kwargs)

    def paginate_queryset(self, queryset, pagination, request, **params):
        size = self._get_page_size(pagination.page_size)
        count = self._items_count(queryset)
        last = last_page(count, size)
        if pagination.page > last:
            raise ValidationError(
                f"is past the last page ({last}; {count} items, {size} a page)", field="page"
            )
        offset = (pagination.page - 1) * size
        return {self.items_attribute: queryset[offset : offset + size], "count": count}
