"""Plotly figure builders, one module per page; shared parts in common.py."""
from .spend import spend_per_developer_figure

__all__ = ["spend_per_developer_figure"]
