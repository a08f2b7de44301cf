"""Stage 2, findings: what contract broke, on which operation, how to reproduce it, and whether it is accepted.

``finding`` (``Finding``: fingerprint, kind, message; ``dedupe``), ``redact`` (curl reproductions,
secrets redacted), ``baseline`` (accepted deviations, one reason each). Plain data every later stage
speaks: may import only ``restcontract.errors``.
"""

from restcontract.findings.finding import KINDS, SERVER_DEFECT, SPEC_GAP, Finding, Kind, dedupe
from restcontract.findings.redact import REDACTED, curl, redact_headers, scrub

__all__ = ["KINDS", "REDACTED", "SERVER_DEFECT", "SPEC_GAP", "Finding", "Kind", "curl", "dedupe", "redact_headers",
           "scrub"]
