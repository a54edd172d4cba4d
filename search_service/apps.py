from django.apps import AppConfig


class SearchServiceConfig(AppConfig):
    name = "search_service"
