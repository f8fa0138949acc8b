"""Shared API plumbing: authentication, errors, pagination, envelopes, schema helpers, throttles."""
