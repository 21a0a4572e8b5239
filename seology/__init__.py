"""Seology Jobs: crawls, SEO audits and AI analyses of websites as Prefect flows."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
