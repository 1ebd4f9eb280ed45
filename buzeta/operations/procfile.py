"""`make run`'s process manager: honcho, with two changes for a clean stop.

- honcho stops a process by signalling its whole process group. A qcluster's
  own children (workers, pusher, monitor) then die under its feet and its
  orderly shutdown stalls until honcho's SIGKILL five seconds later. Here only
  the process itself gets SIGTERM; it stops its children as it is built to.
- A stop that was asked for (Ctrl-C, SIGTERM) is a success, not "Error 130/143".

GNU make does not pass SIGTERM on to the commands it runs, so when only make
is stopped, honcho (and web, worker and simulator under it) would live on.
A watch on the parent stops everything the same way Ctrl-C does.
"""

import errno
import os
import signal
import sys
import threading
import time

from honcho import compat, manager
from honcho.command import main


def _terminate_leader(self, pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ESRCH):
            raise


def _stop_when_orphaned(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)


if __name__ == "__main__":
    compat.ProcessManager.terminate = _terminate_leader
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        manager.SIGNALS[stop_signal]["rc"] = 0
    threading.Thread(target=_stop_when_orphaned, args=(os.getppid(),), daemon=True).start()
    sys.exit(main())
