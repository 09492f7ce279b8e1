"""The Vietnamese tax code (mã số thuế), checked by its check digit: a rule of the country, not of invoicing.

Checkout checks a buyer's company code and invoicing a producer's; both read it here, so the
order's schemas need not import the invoices package.
"""

from __future__ import annotations

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.vn import mst


def valid_tax_code(value: str) -> str | None:
    """The tax code in its usual form (0100109106 or 0100109106-001) if its check digit holds, else None."""
    try:
        compact = mst.validate(value or "")
    except StdnumError:
        return None
    return compact if len(compact) == 10 else f"{compact[:10]}-{compact[10:]}"
