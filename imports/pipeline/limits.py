"""How many data rows an import may have: the one place the row limits are decided and worded.

The upload check refuses a file whose counted rows pass the limit; the worker enforces the same limit
row by row (`row_limit`), so a file whose upfront count was fooled still never imports more.
"""

from __future__ import annotations

from dataclasses import dataclass

from billing.selectors import max_leads_per_import

from .fileformat import UploadRejected, limit


@dataclass(frozen=True)
class RowLimit:
    rows: int  # the most data rows an import of this company may have
    by_plan: bool  # whether the company's plan (not the service-wide cap) sets it

    def refusal(self, rows: int, *, estimated: bool = False) -> str:
        """Why a file of `rows` data rows is refused (upload) or why the import fails (worker)."""
        count = f"about {rows:,}" if estimated else f"{rows:,}"
        if self.by_plan:
            return f"The file has {count} data rows; the company's plan allows {self.rows:,} leads per import."
        return f"The file has {count} data rows; at most {self.rows:,} are accepted."

    @property
    def row_reason(self) -> str:
        """The error-file reason of each row past the limit."""
        if self.by_plan:
            return f"over the limit of the company's plan ({self.rows:,} leads per import)"
        return f"over the limit of {self.rows:,} data rows per import"


def row_limit(*, company) -> RowLimit:
    """The smaller of the service-wide cap (IMPORT_MAX_ROWS) and the company's plan."""
    max_rows = limit("IMPORT_MAX_ROWS")
    plan_limit = max_leads_per_import(company=company)
    if plan_limit is not None and plan_limit <= max_rows:
        return RowLimit(rows=plan_limit, by_plan=True)
    return RowLimit(rows=max_rows, by_plan=False)


# An estimate (the preview of a big file counts its first MiB only) can be this much over the exact count.
ESTIMATE_TOLERANCE = 1.25


def check_row_limits(*, company, rows: int, estimated: bool = False) -> RowLimit:
    """Refuse a file with no data rows or more than the limit; returns the limit for the worker.
    `estimated`: `rows` was extrapolated, so only a file clearly over the limit is refused (the upload
    counts it exactly and refuses it if it is over at all)."""
    if rows == 0:
        raise UploadRejected("The file has a header but no data rows.")
    allowed = row_limit(company=company)
    if rows > allowed.rows * (ESTIMATE_TOLERANCE if estimated else 1):
        raise UploadRejected(allowed.refusal(rows, estimated=estimated))
    return allowed
