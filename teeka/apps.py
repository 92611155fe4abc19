from django.apps import AppConfig


class TeekaConfig(AppConfig):
    name = "teeka"
    verbose_name = "Teeka"
