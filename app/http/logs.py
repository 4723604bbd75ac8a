"""Logging for the service and uvicorn alike: text for people, JSON lines for log pipelines.

Every line names the request it belongs to (``request_id``, "-" outside a request).
"""

from __future__ import annotations

from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

from app.config import LogFormat

TEXT_FORMAT = "%(levelname)s:  %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "{asctime}{levelname}{name}{message}{request_id}"
LOGGERS = ("app", "uvicorn")
ACCESS_LOGGER = "uvicorn.access"


def log_config(level: str, log_format: LogFormat, access_log: bool = False) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary; uvicorn takes it as ``log_config``.

    uvicorn writes its access log only while ``uvicorn.access`` has a handler, so without
    ``access_log`` that logger gets none (and does not pass records up to ``uvicorn``'s).
    """
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
        "filters": {"request_id": {"()": "app.http.request_id.RequestIdLogFilter"}},
        "formatters": {"service": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "service",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            **{name: {"handlers": ["stderr"], "level": level.upper(), "propagate": False} for name in LOGGERS},
            ACCESS_LOGGER: {"handlers": ["stderr"] if access_log else [], "level": level.upper(), "propagate": False},
        },
    }
