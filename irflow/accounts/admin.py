from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from irflow.accounts.models import ApiToken, Privilege, StaffProfile, User


class ProfileInline(admin.StackedInline):
    model = StaffProfile
    fk_name = "user"
    can_delete = False


class PrivilegeInline(admin.TabularInline):
    model = Privilege
    fk_name = "user"
    extra = 0
    exclude = ["granted_by"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("irflow", {"fields": ("role", "display_name")}),
    )
    inlines = [ProfileInline, PrivilegeInline]

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in instances:
            if isinstance(obj, Privilege) and obj.granted_by_id is None:
                obj.granted_by = request.user
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "key_id", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_id", "secret_sha256", "created_at", "created_by", "last_used_at"]
    list_filter = ["revoked_at"]

    def has_add_permission(self, request):
        # Tokens are created on /administration/tokens/ or with `irflow api-token create`,
        # which show the secret once.
        return False
