from django.urls import path

from search_service.api import api

urlpatterns = [path("", api.urls)]

handler404 = "search_service.views.not_found"
handler500 = "search_service.views.server_error"
