"""`seology up`: the whole system on one machine, as child processes of one command."""

from __future__ import annotations
