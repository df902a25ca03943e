"""python -m web"""

from servicekit.logging import configure_logging
from servicekit.run import serve
from web.app import create_app
from web.settings import WebSettings


def main() -> None:
    settings = WebSettings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
