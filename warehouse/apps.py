from django.apps import AppConfig


class WarehouseConfig(AppConfig):
    name = "warehouse"
    verbose_name = "Warehouse (core, extracted, raw)"
