"""The AWS emulator of `make run`: moto's server on a loopback port, in a process of its own.

Usage: local_emulator.py HOST PORT. It prints its endpoint only once its own socket listens, so the
caller never mistakes another server already on that port for it (on a taken port it exits non-zero
and prints nothing). It stops when its standard input closes: the caller holds the other end, so
the emulator never outlives the caller, however the caller ends (even `os._exit` or SIGKILL).
"""

import contextlib
import logging
import os
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ["MOTO_PORT"] = str(port)  # as moto_server sets it: URLs moto builds name this port
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request in the terminal
    # Werkzeug prints why a port cannot be bound and exits 1.
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"http://{host}:{server.port}", flush=True)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # the caller reads one line: the rest goes to stderr
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches the whole foreground process group
        sys.stdin.buffer.read()


if __name__ == "__main__":
    main()
