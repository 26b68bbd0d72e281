"""Logging set-up for the CLI and the API (library modules only call ``logging.getLogger``)."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # jieba logs its dictionary loading at INFO on every process start.
    logging.getLogger("jieba").setLevel(logging.WARNING)
