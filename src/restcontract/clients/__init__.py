"""Stage 5, clients: the real Prefect client's requests as the consumer's contract (issue 26, docs/compat.md).

* ``hook``        inside a client's process: every request the SDK sends, with its answer (no restcontract imports)
* ``workload``    the SDK driven the way users drive it, recorded through ``hook``
* ``record``      one recording per Prefect version: an embedded server, the workload, the requests matched to
                  that version's document (``python -m restcontract.clients.record``, ``tox -e record``)
* ``recordings/`` the checked-in recordings, ``client-<version>.json`` (shipped in the wheel)
* ``recording``   loading a recording (one-line errors for an unknown version, a file that is not one)
* ``validate``    openapi-core validation of one recorded request against a document: ok or rejected, with reasons
* ``compare``     a recording against a document (and a replay's statuses): the compat report; spec gaps
* ``render``      that report as text, markdown or JSON
* ``replay``      the recorded sequence on a live server: ids mapped to the new objects, everything made removed
* ``matrix``      every recorded client against every document of ``spec/``: one markdown table
* ``touch``       which changes of a spec diff a recorded client touches (``restcontract diff --client``)
* ``cli``         ``restcontract compat``

May import: errors, tables, compat, spec, findings, testing, server, objects.
"""
