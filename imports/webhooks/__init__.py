"""Webhooks: companies' receivers of import events, read top-down.

    services ─▶ sending (one HTTP attempt) ─▶ destinations (URL checks, SSRF-safe resolution)
             ─▶ signing (the body and its signature)

`services` creates and lists webhooks, turns a finished import into deliveries after the commit, and
records each attempt (retried with backoff, the webhook disabled after days of failures).
"""
