"""The local system with a sampling profiler inside it, for when py-spy cannot attach (it segfaults on
this machine's Python under load).

    .venv/bin/python -m bench.sampler --fresh --port 3100 --moto-port 4666 --data-dir /tmp/sampled
    kill -USR2 <its pid>        # writes the samples so far to $SAMPLER_OUT (default sampler.txt)

Every 5 ms a thread reads every other thread's stack (`sys._current_frames()`); a thread whose innermost
frame is a wait, a read or a select is left out, so the counts are where work (or a wait for the GIL or a
lock taken in C) was. Printed: each frame's count including its callees, and each innermost frame's.

A thread waiting for the GIL or a lock looks busy in those counts: with sixty server threads queued on
one lock, the one doing the work is a sixtieth of them. So every 20th round also reads each thread's CPU
time from /proc (Linux: /proc/self/task/<id>/stat, in clock ticks) and charges the CPU it used since the
last reading to the stack it is in now; printed apart ("by CPU"), these say where the process's CPU goes.
The sampling costs GIL time of its own: compare runs made with it, never a run with it against one without.
"""
from __future__ import annotations

import collections
import os
import runpy
import signal
import sys
import threading
import time
from typing import Any

INTERVAL_S = 0.005
IDLE = {"wait", "select", "readinto", "recv_into", "accept", "_pump", "poll", "sleep", "read", "recv", "readline",
        "_wait_for_tstate_lock"}


CPU_EVERY = 20  # rounds between CPU readings (100 ms: a clock tick is 10 ms)


def _names(frame) -> list[str]:
    names = []
    while frame is not None:
        names.append(f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_code.co_name}")
        frame = frame.f_back
    return names


def _cpu_ticks(native_id: int) -> int | None:
    try:
        with open(f"/proc/self/task/{native_id}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15 of the whole line)


class Sampler:
    def __init__(self) -> None:
        self.inclusive: collections.Counter[str] = collections.Counter()
        self.innermost: collections.Counter[str] = collections.Counter()
        self.cpu_inclusive: collections.Counter[str] = collections.Counter()
        self.cpu_innermost: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self.cpu_ticks = 0
        self._ticks: dict[int, int] = {}

    def run(self) -> None:
        me = threading.get_ident()
        rounds = 0
        while True:
            time.sleep(INTERVAL_S)
            rounds += 1
            frames = sys._current_frames()
            for thread, frame in frames.items():
                if thread == me or frame.f_code.co_name in IDLE:
                    continue
                self.samples += 1
                names = _names(frame)
                self.innermost[names[0]] += 1
                self.inclusive.update(set(names))
            if rounds % CPU_EVERY == 0:
                self._charge_cpu(frames, me)

    def _charge_cpu(self, frames: dict[int, Any], me: int) -> None:
        native = {t.ident: t.native_id for t in threading.enumerate()}
        seen: dict[int, int] = {}
        for thread, frame in frames.items():
            native_id = native.get(thread)
            ticks = _cpu_ticks(native_id) if native_id is not None and thread != me else None
            if ticks is None:
                continue
            seen[native_id] = ticks
            used = ticks - self._ticks.get(native_id, ticks)
            if used > 0:
                names = _names(frame)
                self.cpu_ticks += used
                self.cpu_innermost[names[0]] += used
                for name in set(names):
                    self.cpu_inclusive[name] += used
        self._ticks = seen

    def write(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as out:
            out.write(f"samples {self.samples}\n== including callees\n")
            out.writelines(f"{n:8d} {name}\n" for name, n in self.inclusive.most_common(150))
            out.write("== innermost\n")
            out.writelines(f"{n:8d} {name}\n" for name, n in self.innermost.most_common(60))
            out.write(f"== by CPU, including callees (clock ticks; {self.cpu_ticks} in all)\n")
            out.writelines(f"{n:8d} {name}\n" for name, n in self.cpu_inclusive.most_common(150))
            out.write("== by CPU, innermost\n")
            out.writelines(f"{n:8d} {name}\n" for name, n in self.cpu_innermost.most_common(60))


def main() -> None:
    sampler = Sampler()
    threading.Thread(target=sampler.run, daemon=True, name="sampler").start()
    signal.signal(signal.SIGUSR2, lambda *_: sampler.write(os.environ.get("SAMPLER_OUT", "sampler.txt")))
    sys.argv = ["infrastructure.local", *sys.argv[1:]]
    runpy.run_module("infrastructure.local", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
