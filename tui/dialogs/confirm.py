"""A yes/no question (see :class:`tui.dialogs.base.ConfirmDialog`)."""
from .base import ConfirmDialog  # noqa: F401
