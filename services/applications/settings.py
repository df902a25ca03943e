from pydantic import Field

from servicekit.settings import ServiceSettings


class ApplicationsSettings(ServiceSettings):
    service_name: str = "applications"
    http_port: int = 8003
    # how many seekers one posting may send direct requests to (counted, never given back)
    request_quota: int = Field(default=10, ge=1, le=100)
