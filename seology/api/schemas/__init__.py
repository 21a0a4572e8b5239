"""The job API's request and response models, one module per area.

`common` holds what they share (times, ids, the error shape); each route module of
`seology.api.routes` declares its `response_model`s from the module of its area.
"""

from __future__ import annotations
