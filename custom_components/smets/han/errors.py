"""Exceptions raised by the HAN library.

Every error the library raises derives from :class:`HanError`, so a caller can
catch that one class; the subclasses say what went wrong.
"""

from __future__ import annotations

__all__ = [
    "HanCommandError",
    "HanError",
    "HanNotAllowed",
    "HanNotFound",
    "HanNotStarted",
    "HanProtocolError",
    "HanTimeout",
]


class HanError(Exception):
    """Base class of every error the HAN library raises."""


class HanTimeout(HanError, TimeoutError):  # noqa: N818 - the names the library documents
    """A device did not answer a request in time (radio loss, sleeping device)."""


class HanNotFound(HanError):  # noqa: N818 - the names the library documents
    """A device or endpoint the caller needs is not on the HAN."""


class HanNotStarted(HanError):  # noqa: N818 - the names the library documents
    """The link is not open (never started, or already closed)."""


class HanProtocolError(HanError):
    """A device answered with a frame that could not be parsed or made no sense."""


class HanCommandError(HanError):
    """A device refused a command (ZCL status other than SUCCESS)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        """Keep the ZCL status code the device answered with, when there is one."""
        super().__init__(message)
        self.status = status


class HanNotAllowed(HanCommandError):  # noqa: N818 - the names the library documents
    """A device refused a command because this device may not send it.

    In GB, entering a top-up code over the HAN is the prepayment interface
    device's (PPMID) role: a meter may refuse it from a consumer device.
    """
