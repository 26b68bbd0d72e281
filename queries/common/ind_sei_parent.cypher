// mode: read
// doc: patents by the parent (top-level) category of the SEI categories they are classified in
MATCH (p:Patent)-[:IN_SEI]->(s:SEICategory)
WHERE ($kind = '' OR coalesce(p.kind, 'unknown') = $kind) AND coalesce(p.status, 'unknown') IN $statuses
  AND ($region = '' OR p.region_code STARTS WITH $region)
  AND s.parent IS NOT NULL
RETURN s.parent AS key, count(DISTINCT p) AS patents,
       count(DISTINCT CASE WHEN p.hv = true THEN p.id END) AS hv,
       count(DISTINCT CASE WHEN p.hv IS NULL THEN p.id END) AS hv_unknown
