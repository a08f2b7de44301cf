"""``python -m restcontract.serve``: the real Prefect server with restcontract's error records
(for a server that remote xdist workers share). The code is ``restcontract.server.serve``."""

import sys

from restcontract.server.serve import main

if __name__ == "__main__":
    sys.exit(main())
