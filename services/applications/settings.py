from pydantic import Field

from servicekit.settings import ServiceSettings


class ApplicationsSettings(ServiceSettings):
    service_name: str = "applications"
    http_port: int = 8003
    # how many seekers one posting may send direct requests to (slots, never freed)
    request_quota: int = Field(default=10, ge=1, le=100)
    # how often changes left half-applied by a crash are completed (seconds)
    changes_sweep_seconds: float = Field(default=30.0, gt=0)
    # an ``apply:<seeker>:<job>`` claim without its application after this long was left by a
    # crash between the two inserts, and may be taken over
    orphan_claim_seconds: float = Field(default=30.0, gt=0)
