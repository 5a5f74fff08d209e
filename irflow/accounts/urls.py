"""One's own account and signing in (`/accounts/`); the administrator's pages for users and API
tokens (`/administration/users/`, `/administration/tokens/`)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from irflow.accounts import admin_views, views

prefix = ""

urlpatterns = [
    path("accounts/", views.account, name="account"),
    path("accounts/password/", views.password_change, name="password-change"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/session/", views.session, name="session"),
    path("accounts/2fa/verify/", views.otp_verify, name="otp-verify"),
    path("accounts/2fa/setup/", views.otp_setup, name="otp-setup"),
    path("administration/users/", admin_views.users, name="admin-users"),
    path("administration/users/new/", admin_views.user_new, name="admin-user-new"),
    path("administration/users/<int:user_id>/", admin_views.user_page, name="admin-user"),
    path("administration/users/<int:user_id>/role/", admin_views.user_role, name="admin-user-role"),
    path(
        "administration/users/<int:user_id>/active/",
        admin_views.user_active,
        name="admin-user-active",
    ),
    path(
        "administration/users/<int:user_id>/unlock/",
        admin_views.user_unlock,
        name="admin-user-unlock",
    ),
    path(
        "administration/users/<int:user_id>/second-factor/reset/",
        admin_views.user_second_factor_reset,
        name="admin-user-2fa-reset",
    ),
    path(
        "administration/users/<int:user_id>/password/",
        admin_views.user_password_reset,
        name="admin-user-password",
    ),
    path(
        "administration/users/<int:user_id>/password/due/",
        admin_views.user_password_due,
        name="admin-user-password-due",
    ),
    path("administration/tokens/", admin_views.tokens, name="admin-tokens"),
    path("administration/tokens/new/", admin_views.token_new, name="admin-token-new"),
    path(
        "administration/tokens/<int:token_id>/revoke/",
        admin_views.token_revoke,
        name="admin-token-revoke",
    ),
]
