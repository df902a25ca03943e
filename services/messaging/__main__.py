"""python -m services.messaging"""

from servicekit.logging import configure_logging
from servicekit.run import serve
from services.messaging.app import create_app
from services.messaging.settings import MessagingSettings


def main() -> None:
    settings = MessagingSettings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
