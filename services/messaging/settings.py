from pydantic import Field

from servicekit.settings import ServiceSettings


class MessagingSettings(ServiceSettings):
    service_name: str = "messaging"
    http_port: int = 8004
    # a conversation closes this many days after its application (or request) ended
    close_after_days: int = Field(default=90, ge=0)
    # how often the closing loop looks for conversations due to close
    close_interval_seconds: float = Field(default=300.0, gt=0)
    # messages one account may send per minute (all conversations together)
    send_limit_per_minute: int = Field(default=30, ge=1)
    message_max_chars: int = Field(default=2000, ge=1)
    notice_title_max_chars: int = Field(default=100, ge=1)
    notice_body_max_chars: int = Field(default=4000, ge=1)
    notice_max_seekers: int = Field(default=1000, ge=1)
