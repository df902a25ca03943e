"""python -m services.applications"""

from servicekit.logging import configure_logging
from servicekit.run import serve
from services.applications.app import create_app
from services.applications.settings import ApplicationsSettings


def main() -> None:
    settings = ApplicationsSettings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
