// mode: read
// doc: per inventor (INVENTED_BY): patents, high-value patents, hv-unknown patents (for the top-100 inventors)
MATCH (p:Patent)-[:INVENTED_BY]->(i:Inventor)
WHERE ($kind = '' OR coalesce(p.kind, 'unknown') = $kind) AND coalesce(p.status, 'unknown') IN $statuses
  AND ($region = '' OR p.region_code STARTS WITH $region)
RETURN i.id AS inventor_id, i.name AS name, i.org_id AS org_id, count(DISTINCT p) AS patents,
       count(DISTINCT CASE WHEN p.hv = true THEN p.id END) AS hv,
       count(DISTINCT CASE WHEN p.hv IS NULL THEN p.id END) AS hv_unknown
