"""One application entry point for the browser (Reflex states) and the API (FastAPI routers).

`call()` owns what every use case needs around it: the transaction (committed before the caller
answers), the current user, rate limits and the error type the callers map to messages.
"""

from resolutionflow_app.entry.gateway import call, unit_of_work
from resolutionflow_app.entry.identity import Identity, whoami
from resolutionflow_app.entry.limits import AUTH, SHARE, check_rate, reset_limits

__all__ = ["AUTH", "SHARE", "Identity", "call", "check_rate", "reset_limits", "unit_of_work", "whoami"]
