"""Use cases: functions taking a keyword-only DB `session`, returning DTOs."""
