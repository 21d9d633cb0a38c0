from django.http import HttpRequest
from ninja.security import APIKeyHeader

from runs.models import ApiKey
from runs.services import api_key_authenticate


class ApiKeyAuth(APIKeyHeader):
    """`X-API-Key: ehk_…`; a missing or unknown key is answered 401."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        return api_key_authenticate(plain=key) if key else None
