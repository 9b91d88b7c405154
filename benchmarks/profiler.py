"""A line profiler for real training steps: wall time per source line of chosen functions, by `sys.settrace`."""

from __future__ import annotations

import collections
import sys
import time
import types
from collections.abc import Callable


class LineTimes:
    """The time from one trace event to the next is charged to the line that was running, so a call into untraced
    code (NumPy's C functions and Python wrappers) counts in the line that made it."""

    def __init__(self, functions: list[Callable]) -> None:
        self.codes = {function.__code__ for function in functions}
        self.seconds: dict[tuple, float] = collections.defaultdict(float)
        self.line: tuple | None = None
        self.last = 0.0

    def __enter__(self) -> LineTimes:
        self.last = time.perf_counter()
        sys.settrace(self._on_call)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(None)
        self._charge(None)

    def _charge(self, next_line: tuple | None) -> None:
        now = time.perf_counter()
        if self.line is not None:
            self.seconds[self.line] += now - self.last
        self.line, self.last = next_line, now

    def _on_call(self, frame: types.FrameType, event: str, arg: object) -> Callable | None:
        if frame.f_code not in self.codes:
            return None
        self._charge((frame.f_code, frame.f_lineno))
        return self._on_line

    def _on_line(self, frame: types.FrameType, event: str, arg: object) -> Callable:
        if event == "line":
            self._charge((frame.f_code, frame.f_lineno))
        elif event == "return":
            caller = frame.f_back
            self._charge((caller.f_code, caller.f_lineno) if caller and caller.f_code in self.codes else None)
        return self._on_line
