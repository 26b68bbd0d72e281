// mode: read
// doc: per current holder (OWNED_BY): patents, high-value patents, hv-unknown patents (for the top-100 holders)
MATCH (p:Patent)-[:OWNED_BY]->(o:Organization)
WHERE ($kind = '' OR coalesce(p.kind, 'unknown') = $kind) AND coalesce(p.status, 'unknown') IN $statuses
  AND ($region = '' OR p.region_code STARTS WITH $region)
  AND ($holder_kind = '' OR o.kind = $holder_kind)
RETURN o.id AS org_id, o.name AS name, o.kind AS holder_kind, o.region_code AS region_code, count(DISTINCT p) AS patents,
       count(DISTINCT CASE WHEN p.hv = true THEN p.id END) AS hv,
       count(DISTINCT CASE WHEN p.hv IS NULL THEN p.id END) AS hv_unknown
