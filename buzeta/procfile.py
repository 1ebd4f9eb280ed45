"""`make run`'s process manager: honcho, plus a watch on make itself.

GNU make does not pass SIGTERM on to the commands it runs, so when only
make is stopped, honcho (and web, worker and simulator under it) would
live on. This notices that its parent is gone and stops everything the
same way Ctrl-C does.
"""

import os
import signal
import sys
import threading
import time

from honcho.command import main


def _stop_when_orphaned(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)


if __name__ == "__main__":
    threading.Thread(target=_stop_when_orphaned, args=(os.getppid(),), daemon=True).start()
    sys.exit(main())
