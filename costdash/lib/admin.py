"""Django admin pieces shared by the apps."""
from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """A view-only admin: every field shown, nothing added or changed here (the app's own pages or
    jobs make these rows, with their checks and their record of who and when). Deleting stays."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in (self.exclude or ())]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
