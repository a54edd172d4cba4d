from django.urls import path

from search_service.api import api
from search_service.page import search_page

urlpatterns = [path("", search_page, name="search-page"), path("", api.urls)]

handler404 = "search_service.views.not_found"
handler500 = "search_service.views.server_error"
