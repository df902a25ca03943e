from servicekit.settings import ServiceSettings


class JobsSettings(ServiceSettings):
    service_name: str = "jobs"
    http_port: int = 8002
