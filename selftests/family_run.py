"""One child run of one check family's contract test against the self-test server, with fault sets on."""


def family_run(prefect_server, tmp_path_factory, test_file: str, faults=(), *args: str):
    """Run ``tests/<test_file>`` (a file or a node id) with ``faults`` active (none: the real server); no baseline."""
    from conftest import run_pytest

    prefect_server.activate(*faults)
    try:
        return run_pytest([f"tests/{test_file}", "--base-url", prefect_server.base_url, "--baseline", "none", *args],
                          tmp_path_factory.mktemp(test_file.split("::")[-1].removesuffix(".py")))
    finally:
        prefect_server.activate()
