"""The checked-in OpenAPI documents and their baselines. Installed, this folder is the package
``restcontract.documents`` (pyproject.toml maps it here; the JSON files are its package data): the default
``--spec`` when the directory a run starts in has no ``spec/prefect-*.json`` of its own."""
