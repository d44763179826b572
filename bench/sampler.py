"""The local system with a sampling profiler inside it, for when py-spy cannot attach (it segfaults on
this machine's Python under load).

    .venv/bin/python -m bench.sampler --fresh --port 3100 --moto-port 4666 --data-dir /tmp/sampled
    kill -USR2 <its pid>        # writes the samples so far to $SAMPLER_OUT (default sampler.txt)

Every 5 ms a thread reads every other thread's stack (`sys._current_frames()`); a thread whose innermost
frame is a wait, a read or a select is left out, so the counts are where work (or a wait for the GIL or a
lock taken in C) was. Printed: each frame's count including its callees, and each innermost frame's. The
sampling costs GIL time of its own: compare runs made with it, never a run with it against one without.
"""
from __future__ import annotations

import collections
import os
import runpy
import signal
import sys
import threading
import time

INTERVAL_S = 0.005
IDLE = {"wait", "select", "readinto", "recv_into", "accept", "_pump", "poll", "sleep", "read", "recv", "readline",
        "_wait_for_tstate_lock"}


class Sampler:
    def __init__(self) -> None:
        self.inclusive: collections.Counter[str] = collections.Counter()
        self.innermost: collections.Counter[str] = collections.Counter()
        self.samples = 0

    def run(self) -> None:
        me = threading.get_ident()
        while True:
            time.sleep(INTERVAL_S)
            for thread, frame in sys._current_frames().items():
                if thread == me or frame.f_code.co_name in IDLE:
                    continue
                self.samples += 1
                names, f = [], frame
                while f is not None:
                    names.append(f"{os.path.basename(f.f_code.co_filename)}:{f.f_code.co_name}")
                    f = f.f_back
                self.innermost[names[0]] += 1
                self.inclusive.update(set(names))

    def write(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as out:
            out.write(f"samples {self.samples}\n== including callees\n")
            out.writelines(f"{n:8d} {name}\n" for name, n in self.inclusive.most_common(150))
            out.write("== innermost\n")
            out.writelines(f"{n:8d} {name}\n" for name, n in self.innermost.most_common(60))


def main() -> None:
    sampler = Sampler()
    threading.Thread(target=sampler.run, daemon=True, name="sampler").start()
    signal.signal(signal.SIGUSR2, lambda *_: sampler.write(os.environ.get("SAMPLER_OUT", "sampler.txt")))
    sys.argv = ["infrastructure.local", *sys.argv[1:]]
    runpy.run_module("infrastructure.local", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
