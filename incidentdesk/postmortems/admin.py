from django.contrib import admin

from incidentdesk.postmortems.models import Postmortem, PostmortemTemplate, TaxonomyTerm


@admin.register(TaxonomyTerm)
class TaxonomyTermAdmin(admin.ModelAdmin):
    list_display = ("key", "definition", "built_in")
    search_fields = ("key", "definition")


@admin.register(PostmortemTemplate)
class PostmortemTemplateAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "built_in")


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    list_display = ("incident", "status", "taxonomy_principal", "published_at")
    list_filter = ("status",)
    raw_id_fields = ("incident",)
