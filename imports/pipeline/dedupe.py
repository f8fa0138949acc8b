"""Step: the same lead twice inside one chunk. Earlier chunks are in the database already, where the
Lead unique constraints catch repeats (`write`).

on_duplicate=skip: a later row with the email or phone of an earlier one fails as `duplicate`.
on_duplicate=update: the rows are split into rounds without repeats, written in file order, so a
later row updates the lead an earlier row created.
"""

from dataclasses import replace

import pandas as pd

from .validate import NormalizedChunk, add_reason

DUPLICATE = "duplicate"


def _repeated(leads: pd.DataFrame) -> pd.Series:
    return (leads["email"].notna() & leads["email"].duplicated()) | (
        leads["phone"].notna() & leads["phone"].duplicated()
    )


def drop_in_chunk_duplicates(normalized: NormalizedChunk) -> NormalizedChunk:
    """on_duplicate=skip: repeated keys inside the chunk fail as duplicates (the first one stays)."""
    leads = normalized.leads
    in_chunk = _repeated(leads)
    add_reason(normalized.reasons, leads.index[in_chunk], DUPLICATE)
    return replace(normalized, leads=leads[~in_chunk])


def split_in_chunk_duplicates(leads: pd.DataFrame) -> list[pd.DataFrame]:
    """For on_duplicate=update: rounds of rows with no repeated key inside a round, in file order,
    so that a later row updates the lead an earlier row of the same chunk created."""
    rounds = []
    remaining = leads
    while len(remaining):
        repeated = _repeated(remaining)
        rounds.append(remaining[~repeated])
        remaining = remaining[repeated]
    return rounds
