"""The personal inbox pages (messages such as project warnings)."""

from django.urls import path

from anju.core import views_inbox as views

app_name = "inbox"
urlpatterns: list = [
    path("", views.inbox_index, name="list"),
    path("<int:message_id>/read/", views.inbox_read, name="read"),
    path("read-all/", views.inbox_read_all, name="read_all"),
]
