"""The contract suite: one test per check family of ``restcontract.checks``, built from its registry.

``pytest tests -m not_found`` runs one family, ``--contract-operation 'GET /flows/{id}'`` one operation;
``tests/test_contracts.py::test_lifecycle`` names a family's test. Adding a family adds nothing here.
"""

from restcontract.plugin import family_tests

globals().update(family_tests())
