"""Django admin for accounts. API tokens show their prefix only; the digest is never editable."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from incidentdesk.accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "on_responders_desk",
        "is_active",
    )
    list_filter = ("role", "on_responders_desk", "is_active")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("IncidentDesk", {"fields": ("role", "on_responders_desk")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "scope", "created_at", "last_used_at", "revoked_at")
    list_filter = ("scope",)
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)
    readonly_fields = ("user", "name", "prefix", "scope", "created_at", "last_used_at")
    exclude = ("digest",)

    def has_add_permission(self, request):
        # A token's plain text is shown once when it is made; make tokens on the Tokens page.
        return False
