"""Logging for the service and uvicorn alike: text for people, JSON lines for log pipelines.

Every line names the request it belongs to (``request_id``, "-" outside a request).
"""

from __future__ import annotations

from typing import Any, Literal

from pythonjsonlogger.core import RESERVED_ATTRS

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(levelname)s:  %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "{asctime}{levelname}{name}{message}{request_id}"
LOGGERS = ("app", "uvicorn", "uvicorn.access")


def log_config(level: str, log_format: LogFormat) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary; uvicorn takes it as ``log_config``."""
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "style": "{",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            # uvicorn adds the message again with terminal colour codes: not for machines.
            "reserved_attrs": [*RESERVED_ATTRS, "color_message"],
        }
        if log_format == "json"
        else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "app.request_id.RequestIdLogFilter"}},
        "formatters": {"service": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "service",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {name: {"handlers": ["stderr"], "level": level.upper(), "propagate": False} for name in LOGGERS},
    }
