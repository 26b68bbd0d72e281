// mode: read
// doc: patents of a kind and statuses (optionally in a region-code prefix) by the kind of their current holders (OWNED_BY)
MATCH (p:Patent)-[:OWNED_BY]->(o:Organization)
WHERE ($kind = '' OR coalesce(p.kind, 'unknown') = $kind) AND coalesce(p.status, 'unknown') IN $statuses
  AND ($region = '' OR p.region_code STARTS WITH $region)
RETURN coalesce(o.kind, 'unknown') AS key, count(DISTINCT p) AS patents,
       count(DISTINCT CASE WHEN p.hv = true THEN p.id END) AS hv,
       count(DISTINCT CASE WHEN p.hv IS NULL THEN p.id END) AS hv_unknown
