// mode: read
// doc: The patents of $ids_text (newline-joined patent ids) passing the navigation filters (same meaning as the search filters): application/grant year bounds (0 = none; a patent without the year never matches a bound), $kinds, $statuses (missing = unknown), $holder_kinds (kind of any applicant) and $regions (prefixes of 2, 4 or 6 digits matched against the patent's and its applicants' region codes); empty lists = no constraint; rows {id}.
UNWIND split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})
WHERE ($year_from = 0 OR p.app_year >= $year_from)
  AND ($year_to = 0 OR p.app_year <= $year_to)
  AND ($grant_year_from = 0 OR p.grant_year >= $grant_year_from)
  AND ($grant_year_to = 0 OR p.grant_year <= $grant_year_to)
  AND (size($kinds) = 0 OR coalesce(p.kind, 'unknown') IN $kinds)
  AND (size($statuses) = 0 OR coalesce(p.status, 'unknown') IN $statuses)
OPTIONAL MATCH (p)-[:APPLIED_BY]->(o:Organization)
WITH p,
     max(CASE WHEN o.kind IN $holder_kinds THEN 1 ELSE 0 END) AS kind_ok,
     max(CASE WHEN left(o.region_code, 2) IN $regions OR left(o.region_code, 4) IN $regions
                   OR o.region_code IN $regions THEN 1 ELSE 0 END) AS org_region_ok
WHERE (size($holder_kinds) = 0 OR kind_ok = 1)
  AND (size($regions) = 0 OR org_region_ok = 1 OR left(p.region_code, 2) IN $regions
       OR left(p.region_code, 4) IN $regions OR p.region_code IN $regions)
RETURN p.id AS id
