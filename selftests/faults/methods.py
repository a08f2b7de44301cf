"""Broken servers for the method-semantics check: an undeclared method that does something."""

from restcontract.testing.faults import Fault

FAULTS = {
    # DELETE /flow_runs/{id}/set_state is not in the document (the path has only POST): answered 200, as if
    # it had done something. The method-semantics check must report it on the path's test.
    "methods_undeclared_2xx": [Fault("DELETE /flow_runs/{id}/set_state", respond=lambda body: (200, {}))],
}
