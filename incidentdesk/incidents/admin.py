"""Django admin for the catalog (severity levels, components) and a read-mostly incident view.
Incidents change through the incident page, the API, the CLI or chat so that every change is
recorded on the timeline; the admin only lets you look."""

from django.contrib import admin

from incidentdesk.incidents.models import Component, Incident, Severity


@admin.register(Severity)
class SeverityAdmin(admin.ModelAdmin):
    list_display = (
        "position",
        "name",
        "key",
        "aliases",
        "pages",
        "reminder_interval_minutes",
        "postmortem_required",
        "action_due_days",
        "opens_chat_channel",
    )
    list_display_links = ("name",)
    ordering = ("position",)


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ("name", "group", "position", "description")
    list_filter = ("group",)
    search_fields = ("name", "description")
    ordering = ("position", "name")


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("reference", "title", "severity", "status", "kind", "declared_at")
    list_filter = ("status", "severity", "kind", "security", "restricted")
    search_fields = ("reference", "title", "summary")
    list_select_related = ("severity",)
    date_hierarchy = "declared_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["components"]

    def get_queryset(self, request):
        # Staff are admins today, who see everything; the rule is applied all the same.
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
