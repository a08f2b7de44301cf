"""The run's outcome in pytest's JUnit XML (``--junitxml``).

pytest writes one test case per test; a run that stopped half-way has only passed and failed cases,
and a CI test-report view would show the part that ran as if it were the whole. So after pytest has
written the file, every ``<testsuite>`` gets two properties, ``restcontract.outcome`` and
``restcontract.outcome_reason`` (``restcontract.reporting.outcome``), and one more test case,
``restcontract.run`` / ``outcome``, which passes only when the outcome is ``passed`` and otherwise
fails with the outcome and its reason as the message.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from restcontract.reporting.outcome import LABELS, PASSED

CLASSNAME, NAME = "restcontract.run", "outcome"


def add_outcome(path: str | Path, summary: dict) -> bool:
    """Add the outcome to the JUnit file at ``path``; False when there is no readable file."""
    path = Path(path)
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError):
        return False
    root = tree.getroot()
    outcome, reason = summary.get("outcome", PASSED), summary.get("outcome_reason", "")
    for suite in ([root] if root.tag == "testsuite" else root.iter("testsuite")):
        properties = suite.find("properties")
        if properties is None:
            properties = ET.Element("properties")
            suite.insert(0, properties)  # the schema wants <properties> first
        ET.SubElement(properties, "property", name="restcontract.outcome", value=outcome)
        ET.SubElement(properties, "property", name="restcontract.outcome_reason", value=reason)
        case = ET.SubElement(suite, "testcase", classname=CLASSNAME, name=NAME, time="0")
        suite.set("tests", str(int(suite.get("tests", "0")) + 1))
        if outcome != PASSED:
            failure = ET.SubElement(case, "failure", message=f"{LABELS[outcome]}: {reason}")
            failure.text = f"restcontract: the run's outcome is {LABELS[outcome]}: {reason}"
            suite.set("failures", str(int(suite.get("failures", "0")) + 1))
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return True
