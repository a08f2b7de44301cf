"""pytest plugin for the self-tests: write the modules imported on any thread but the main one.

Loaded in a child run with ``-p import_recorder`` (``selftests`` on ``PYTHONPATH``); the list,
one ``<thread name> <module>`` per line, goes to the file ``RECORD_IMPORTS`` names.
"""

import os
import sys
import threading

IMPORTS: list[str] = []


class _Recorder:
    def find_spec(self, name, path=None, target=None):
        if threading.current_thread() is not threading.main_thread():
            IMPORTS.append(f"{threading.current_thread().name} {name}")
        return None  # only watching: the real finders import it


def pytest_configure(config):
    sys.meta_path.insert(0, _Recorder())


def pytest_unconfigure(config):
    with open(os.environ["RECORD_IMPORTS"], "w") as out:
        out.write("".join(f"{line}\n" for line in IMPORTS))
