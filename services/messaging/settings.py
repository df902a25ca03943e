from servicekit.settings import ServiceSettings


class MessagingSettings(ServiceSettings):
    service_name: str = "messaging"
    http_port: int = 8004
