def max_leads_per_import(*, company) -> int | None:
    """The company plan's row limit per import (None: no limit). The billing branch replaces this."""
    return None
