// mode: read
// doc: patents by the region code of their first applicant (Patent.region_code)
MATCH (p:Patent)
WHERE ($kind = '' OR coalesce(p.kind, 'unknown') = $kind) AND coalesce(p.status, 'unknown') IN $statuses
  AND ($region = '' OR p.region_code STARTS WITH $region)
RETURN coalesce(p.region_code, '') AS key, count(DISTINCT p) AS patents,
       count(DISTINCT CASE WHEN p.hv = true THEN p.id END) AS hv,
       count(DISTINCT CASE WHEN p.hv IS NULL THEN p.id END) AS hv_unknown
