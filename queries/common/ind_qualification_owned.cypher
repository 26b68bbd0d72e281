// mode: read
// doc: patents by qualification (高新技术企业, 专精特新, 上市...) of their current holders (OWNED_BY)
MATCH (p:Patent)-[:OWNED_BY]->(o:Organization)
WHERE ($kind = '' OR coalesce(p.kind, 'unknown') = $kind) AND coalesce(p.status, 'unknown') IN $statuses
  AND ($region = '' OR p.region_code STARTS WITH $region)
UNWIND o.qualifications AS q
RETURN q AS key, count(DISTINCT p) AS patents,
       count(DISTINCT CASE WHEN p.hv = true THEN p.id END) AS hv,
       count(DISTINCT CASE WHEN p.hv IS NULL THEN p.id END) AS hv_unknown
