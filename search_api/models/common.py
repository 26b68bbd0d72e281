"""Models shared by several resources: error bodies, facet buckets, organisation refs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: the formats every table-producing endpoint answers in
ExportFormat = Literal["json", "csv", "xlsx"]


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `not_found`.")
    message: str = Field(description="Human-readable explanation.")
    detail: Any = Field(default=None, description="Structured detail (offending fields...).")


class ErrorResponse(BaseModel):
    """Body of every 4xx/5xx reply."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "not_found",
                        "message": "no patent with number CN000000000.0",
                        "detail": {"number": "CN000000000.0"},
                    }
                }
            ]
        }
    )

    error: ErrorInfo


class FacetBucket(BaseModel):
    """One group of a facet (OpenAlex-style ``group_by`` entry)."""

    key: str = Field(description="Group key, e.g. `H01M`, `invention`, `2021`.")
    key_display_name: str | None = Field(default=None, description="Readable name of the key.")
    count: int = Field(ge=0, description="Number of matching patents in the group.")


class OrgRef(BaseModel):
    """An applicant or holder."""

    id: str
    name: str | None = None
    kind: str | None = Field(
        default=None,
        description="university | institute | enterprise | government | individual | other",
    )


#: responses every endpoint can produce, for the OpenAPI document
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "Invalid parameters (参数错误)."},
    500: {"model": ErrorResponse, "description": "Internal error (服务器内部错误)."},
}
