"""The one base of every model the API shows: camelCase JSON, snake_case Python."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """JSON in camelCase (the original system's shape), Python in snake_case.

    Input is accepted under either name, so Python code can build a model by field name.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)
