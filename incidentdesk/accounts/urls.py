from django.contrib.auth import views as auth_views
from django.urls import path

from incidentdesk.accounts import views

urlpatterns = [
    path("setup", views.setup, name="setup"),
    path(
        "login",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("users", views.user_list, name="user_list"),
    path("users/new", views.user_create, name="user_create"),
    path("users/<int:user_id>", views.user_update, name="user_update"),
    path("tokens", views.token_list, name="token_list"),
    path("tokens/new", views.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke", views.token_revoke, name="token_revoke"),
]
