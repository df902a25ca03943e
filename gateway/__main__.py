"""python -m gateway"""

from gateway.app import create_app
from gateway.listeners import server
from gateway.settings import GatewaySettings
from servicekit.logging import configure_logging


def main() -> None:
    settings = GatewaySettings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    # the public port and the internal one (probes, metrics), in one server
    uvicorn_server, sockets = server(create_app(settings), settings)
    uvicorn_server.run(sockets=sockets)


if __name__ == "__main__":
    main()
