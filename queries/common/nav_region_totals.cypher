// mode: read
// doc: All patents counted by province (first two digits of Patent.region_code, '' unknown) and application year: the baseline for regional shares; rows {province, app_year, patents}.
MATCH (p:Patent)
RETURN coalesce(left(p.region_code, 2), '') AS province, p.app_year AS app_year, count(*) AS patents
