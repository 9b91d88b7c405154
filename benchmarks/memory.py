"""Peak resident memory of the pipeline's stage processes, sampled from /proc while `dvc repro` runs."""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path


class PeakMemory(threading.Thread):
    """Samples the peak resident memory (VmHWM) of the `python -m stages.X` processes descended from a parent,
    by stage script."""

    def __init__(self, parent_pid: int) -> None:
        super().__init__(daemon=True)
        self.parent_pid = parent_pid
        self.peaks: dict[str, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    self._sample(pid)
            time.sleep(0.02)

    def _sample(self, pid: str) -> None:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            match = re.fullmatch(rb"stages\.(\w+)", command[2]) if len(command) > 2 and command[1] == b"-m" else None
            if match and self._descends_from_parent(pid):
                status = Path(f"/proc/{pid}/status").read_text()
                peak_kib = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
                stage = match.group(1).decode()
                if stage.startswith("train_") and len(command) > 3:  # train_numpy@mlp: the matrix's architecture
                    stage = f"{stage}@{command[3].decode()}"
                self.peaks[stage] = max(self.peaks.get(stage, 0), peak_kib)
        except (OSError, AttributeError, IndexError):
            pass

    def _descends_from_parent(self, pid: str) -> bool:
        while pid not in ("0", "1"):
            if int(pid) == self.parent_pid:
                return True
            stat = Path(f"/proc/{pid}/stat").read_text()
            pid = stat.rsplit(")", 1)[1].split()[1]  # the parent's pid, after the command name in parentheses
        return False
