"""The web server child of `incidentdesk serve`: granian serving the WSGI application on the
listening socket that `serve` bound and handed down (its file descriptor is the first argument).

Left to itself granian binds the port in each worker with SO_REUSEPORT, and then a second
server started on the same port joins in and the kernel splits the requests between the two.
`serve` binds the port once, without SO_REUSEPORT, so it is this installation's alone: any
later bind of it fails, and `serve` can refuse a port in use before it says it is running.
granian is given that socket the way it shares one socket between its workers on the
platforms where it does not use SO_REUSEPORT.
"""

import socket
import sys

from granian._granian import SocketHolder
from granian.constants import Interfaces
from granian.server.mp import MPServer

BACKLOG = 1024
APPLICATION = "incidentdesk.config.wsgi:application"


class _HandedSocketServer(MPServer):
    """granian's process server, serving on a socket it was given instead of binding one."""

    def __init__(self, *args, listen_fd: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.listen_fd = listen_fd

    def _init_shared_socket(self) -> None:
        # What granian's own shared-socket path sets up (a holder for the Rust workers, and a
        # Python socket that the worker processes inherit), from our descriptor.
        self._ssp = None
        # granian's stub declares no constructor for SocketHolder (its own mp.py calls one),
        # and its base class leaves `_shd` typed as the None it starts as.
        holder = SocketHolder(self.listen_fd, False, self.backlog)  # type: ignore[call-arg]
        self._shd = holder  # type: ignore[assignment]
        self._sfd = holder.get_fd()
        self._sso = socket.socket(fileno=self._sfd)
        self._sso.set_inheritable(True)


def argv(listen_fd: int, *, workers: int, threads: int, access_log: bool) -> list[str]:
    """The command line that runs this module as `serve`'s web server child."""
    args = [sys.executable, "-m", __name__, str(listen_fd), str(workers), str(threads)]
    return args + (["--access-log"] if access_log else [])


def main(args: list[str]) -> None:
    listen_fd, workers, threads = (int(value) for value in args[:3])
    probe = socket.socket(fileno=listen_fd)
    address, port = probe.getsockname()[:2]  # for granian's "Listening at" line
    probe.detach()  # the descriptor stays open, for granian
    _HandedSocketServer(
        APPLICATION,
        address=address,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        backlog=BACKLOG,
        respawn_failed_workers=True,
        log_access="--access-log" in args,
        listen_fd=listen_fd,
    ).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
