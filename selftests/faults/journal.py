"""Faults for the cleanup journal's self-tests (``test_journal.py``).

``journal_server_frozen``: a server that makes nothing more, every request answered 503 before it reaches
Prefect. Switched on just before a run is killed outright, so that no request is half-way (made on the
server, its 201 not yet in the run's journal) at the moment of the kill: what the run made is then exactly
what its journal names, and the test can demand that nothing of the run is left.
"""

from restcontract.testing.faults import Fault

FAULTS = {
    "journal_server_frozen": [Fault("* *", respond=lambda body: (503, {"exception_message": "frozen by the test"}))],
    # a journal's replay meets a delete the server refuses: said, exit 1, the journal kept
    "journal_delete_refused": [Fault("DELETE /flows/{id}", respond=lambda body: (500, {"detail": "refused"}))],
}
