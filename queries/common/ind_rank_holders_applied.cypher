// mode: read
// doc: per applicant, for patents without a recorded current holder (complements ind_rank_holders_owned)
MATCH (p:Patent)-[:APPLIED_BY]->(o:Organization)
WHERE ($kind = '' OR coalesce(p.kind, 'unknown') = $kind) AND coalesce(p.status, 'unknown') IN $statuses
  AND ($region = '' OR p.region_code STARTS WITH $region)
  AND NOT EXISTS { MATCH (p)-[:OWNED_BY]->(:Organization) }
  AND ($holder_kind = '' OR o.kind = $holder_kind)
RETURN o.id AS org_id, o.name AS name, o.kind AS holder_kind, o.region_code AS region_code, count(DISTINCT p) AS patents,
       count(DISTINCT CASE WHEN p.hv = true THEN p.id END) AS hv,
       count(DISTINCT CASE WHEN p.hv IS NULL THEN p.id END) AS hv_unknown
