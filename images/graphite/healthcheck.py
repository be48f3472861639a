#!/usr/bin/python3
"""Docker HEALTHCHECK: graphite-web answers a find, StatsD says "health: up", carbon accepts connections."""
import socket
import sys
import urllib.request


def check_graphite_web():
    with urllib.request.urlopen("http://127.0.0.1:8080/metrics/find?query=*", timeout=4) as response:
        if response.status != 200:
            raise RuntimeError(f"graphite-web: HTTP {response.status}")


def check_statsd():
    with socket.create_connection(("127.0.0.1", 8126), timeout=2) as connection:
        connection.sendall(b"health\n")
        answer = connection.recv(64).decode(errors="replace").strip()
        connection.sendall(b"quit\n")
    if answer != "health: up":
        raise RuntimeError(f"statsd: {answer!r}")


def check_carbon():
    socket.create_connection(("127.0.0.1", 2003), timeout=2).close()


failed = False
for check in (check_graphite_web, check_statsd, check_carbon):
    try:
        check()
    except Exception as error:  # noqa: BLE001 - any failure makes the container unhealthy
        print(f"{check.__name__}: {error}", file=sys.stderr)
        failed = True
sys.exit(1 if failed else 0)
