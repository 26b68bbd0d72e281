"""``/v1/indicators``: valid / high-value invention patent counts by group, with ratios."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from analytics.indicators import indicators, indicators_table, load_denominators
from patentnav.settings import Settings
from search_api.deps import FormatQuery, SettingsDep, StoreDep
from search_api.models.common import COMMON_RESPONSES
from search_api.models.matching import CountKind, GroupBy, IndicatorsResponse
from search_api.models.search import PatentStatus
from search_api.routers.navigation import export_reply

router = APIRouter(prefix="/indicators", tags=["indicators"])


def denominators_for(settings: Settings):
    """The denominators table from settings (``denominators_file``, else
    ``<var_dir>/denominators.csv`` when present), or None."""
    path = settings.denominators_file or settings.var_dir / "denominators.csv"
    if settings.denominators_file is None and not path.exists():
        return None
    return load_denominators(path)


@router.get("", response_model=IndicatorsResponse, responses=COMMON_RESPONSES,
            summary="Patent indicators · 有效/高价值发明专利指标")
def get_indicators(
    store: StoreDep,
    settings: SettingsDep,
    group_by: Annotated[GroupBy, Query(description=(
        "holder_kind | qualification | district | chain | chain_node | sei | sei_l1"))] = "holder_kind",
    region: Annotated[str | None, Query(pattern=r"^\d{6}$", description=(
        "Scope: first applicant's region (500000 = Chongqing; districts then group within it)."))] = None,
    status: Annotated[list[PatentStatus] | None, Query(description=(
        "Statuses counted (default valid = 有效发明专利; add unknown for records without status)."))] = None,
    year: Annotated[int | None, Query(ge=1985, le=2100,
                                      description="Denominator year (default latest).")] = None,
    kind: Annotated[CountKind, Query(description=(
        "Patent kind counted (default invention; any = every kind)."))] = "invention",
    format: FormatQuery = "json",
) -> Any:
    """Counts of valid invention patents and high-value ones (and hv-unknown) by group;
    per-10k-population / per-100M-CNY R&D / per-100M-CNY GDP ratios where the
    denominators table has the region."""
    result = indicators(store, group_by=group_by, statuses=status, region=region,
                        denominators=denominators_for(settings), year=year, kind=kind)
    if format == "json":
        return result
    return export_reply([indicators_table(result)], format, f"indicators_{group_by}", None)
