from pydantic import Field

from servicekit.settings import ServiceSettings


class ApplicationsSettings(ServiceSettings):
    service_name: str = "applications"
    http_port: int = 8003
    # an employer system's request body larger than this is refused before it is parsed
    employer_request_max_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)
    # how many seekers one posting may send direct requests to (counted, never given back)
    request_quota: int = Field(default=10, ge=1, le=100)
    # an application's status may change at most this often (per minute, employer and staff
    # together): each change sends the seeker a message and a notification
    status_changes_per_minute: int = Field(default=10, ge=1, le=1000)
    # how often one application's interview may be moved (interview → interview)
    interview_reschedule_limit: int = Field(default=10, ge=0, le=100)
