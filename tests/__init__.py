"""The contract suite. Installed, it is the package ``restcontract.suite`` (pyproject.toml maps it onto this
folder): ``restcontract test`` runs it from any directory."""
