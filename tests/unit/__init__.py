"""Tests of one module or function at a time: no DVC run, no server, no browser (test_download serves files on
loopback)."""
