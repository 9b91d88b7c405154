"""The benchmark's line profiler charges wall time to the line that spent it, callee lines included."""

from __future__ import annotations

import linecache
import time

from benchmarks.profiler import LineTimes


def slow_part() -> None:
    time.sleep(0.05)  # the slow line
    sum(range(10))


def caller() -> None:
    slow_part()
    time.sleep(0.02)  # the caller's own line


def untraced_helper() -> None:
    time.sleep(0.03)


def caller_of_untraced() -> None:
    untraced_helper()  # counts here: the helper is not traced


def seconds_by_text(times: LineTimes) -> dict[str, float]:
    return {
        linecache.getline(code.co_filename, number).strip(): seconds
        for (code, number), seconds in times.seconds.items()
    }


def test_time_goes_to_the_line_that_spent_it_and_callees_keep_their_own() -> None:
    with LineTimes([caller, slow_part]) as times:
        caller()
    by_text = seconds_by_text(times)
    assert 0.05 <= by_text["time.sleep(0.05)  # the slow line"] < 0.065
    assert 0.02 <= by_text["time.sleep(0.02)  # the caller's own line"] < 0.035
    assert by_text["slow_part()"] < 0.005  # the call's own cost, not the callee's sleep
    assert abs(sum(times.seconds.values()) - 0.07) < 0.015


def test_an_untraced_callee_counts_in_the_calling_line() -> None:
    with LineTimes([caller_of_untraced]) as times:
        caller_of_untraced()
    by_text = seconds_by_text(times)
    assert 0.03 <= by_text["untraced_helper()  # counts here: the helper is not traced"] < 0.045
