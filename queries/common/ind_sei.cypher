// mode: read
// doc: patents by strategic-emerging-industry category they are classified in (IN_SEI)
MATCH (p:Patent)-[:IN_SEI]->(s:SEICategory)
WHERE ($kind = '' OR coalesce(p.kind, 'unknown') = $kind) AND coalesce(p.status, 'unknown') IN $statuses
  AND ($region = '' OR p.region_code STARTS WITH $region)
RETURN s.id AS key, s.name AS name, count(DISTINCT p) AS patents,
       count(DISTINCT CASE WHEN p.hv = true THEN p.id END) AS hv,
       count(DISTINCT CASE WHEN p.hv IS NULL THEN p.id END) AS hv_unknown
