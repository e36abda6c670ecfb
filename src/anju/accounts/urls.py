from django.urls import path

from anju.accounts import views

app_name = "accounts"

urlpatterns = [
    path("me/", views.me, name="me"),
    path("me/password/", views.password, name="password"),
    path("me/totp/", views.totp, name="totp"),
    path("me/tokens/", views.tokens, name="tokens"),
    path("me/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("users/", views.users, name="users"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:user_id>/", views.user_edit, name="user"),
    path("users/<int:user_id>/password/", views.user_reset_password, name="user_reset_password"),
    path("security/", views.security, name="security"),
    path("security/users/", views.security_users, name="security_users"),
    path("security/users/<int:user_id>/unlock/", views.security_unlock, name="security_unlock"),
    path("security/users/<int:user_id>/totp-reset/", views.security_totp_reset, name="security_totp_reset"),
]
