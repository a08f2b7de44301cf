"""Regenerate a spec document from the installed Prefect: ``python -m restcontract.spec.generate OUT``.

Runs in-process (``create_app().openapi()``) and writes deterministically (sorted keys,
two-space indentation, trailing newline), so regenerating gives a byte-identical file.
It imports nothing of restcontract, so any environment with only Prefect installed can run it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile


def generate() -> dict:
    os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="restcontract-specgen-"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.server.api.server import create_app

    return create_app().openapi()


def write(document: dict, out: str) -> None:
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(text)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m restcontract.spec.generate OUT.json", file=sys.stderr)
        return 2
    import prefect

    document = generate()
    write(document, argv[0])
    ops = sum(1 for item in document["paths"].values() for m in item if m in {"get", "put", "post", "delete", "patch"})
    print(f"wrote {argv[0]}: prefect {prefect.__version__}, OpenAPI {document['openapi']}, "
          f"{len(document['paths'])} paths, {ops} operations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
