"""Stage 1, findings: what contract broke, on which operation, how to reproduce it, whether it is accepted.

``finding`` (``Finding``: fingerprint, kind, message; ``dedupe``), ``redact`` (curl reproductions,
secrets redacted), ``baseline`` (accepted deviations, one reason each). Plain data every later stage
speaks, so it ranks low although findings come late in a run.

May import: errors, tables.
"""

from restcontract.findings.finding import KINDS, SERVER_DEFECT, SPEC_GAP, Finding, Kind, dedupe
from restcontract.findings.redact import REDACTED, curl, redact_headers, scrub

__all__ = ["KINDS", "REDACTED", "SERVER_DEFECT", "SPEC_GAP", "Finding", "Kind", "curl", "dedupe", "redact_headers",
           "scrub"]
