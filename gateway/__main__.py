"""python -m gateway"""

from gateway.app import create_app
from gateway.settings import GatewaySettings
from servicekit.logging import configure_logging
from servicekit.run import serve


def main() -> None:
    settings = GatewaySettings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
