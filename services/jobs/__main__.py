"""python -m services.jobs"""

from servicekit.logging import configure_logging
from servicekit.run import serve
from services.jobs.app import create_app
from services.jobs.settings import JobsSettings


def main() -> None:
    settings = JobsSettings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
