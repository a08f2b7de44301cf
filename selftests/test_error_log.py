"""The embedded server's error log read while another request's 5xx is still being written: the partial
last line is skipped, every whole record is found (a tox -e contract-prefect30 run failed a test with a
JSONDecodeError there). In-process, no server started."""

from __future__ import annotations

import json
import shutil

from restcontract.server.embedded import EmbeddedServer


def test_a_record_being_written_is_skipped_not_a_traceback():
    server = EmbeddedServer()
    try:
        whole = {"request_id": "r1", "type": "AttributeError", "message": "x"}
        partial = json.dumps({"request_id": "r2", "type": "OverflowError", "traceback": "..." * 50})[:60]
        server.errors_path.write_text(json.dumps(whole) + "\n" + partial, encoding="utf-8")
        assert server.server_errors() == [whole]
        assert server.error_for("r1") == whole and server.error_for("r2") is None
    finally:
        shutil.rmtree(server.home, ignore_errors=True)
