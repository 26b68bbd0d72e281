// mode: read
// doc: like ind_holder_kind_owned, by applicants, for patents without a recorded current holder
MATCH (p:Patent)-[:APPLIED_BY]->(o:Organization)
WHERE ($kind = '' OR coalesce(p.kind, 'unknown') = $kind) AND coalesce(p.status, 'unknown') IN $statuses
  AND ($region = '' OR p.region_code STARTS WITH $region)
  AND NOT EXISTS { MATCH (p)-[:OWNED_BY]->(:Organization) }
RETURN coalesce(o.kind, 'unknown') AS key, count(DISTINCT p) AS patents,
       count(DISTINCT CASE WHEN p.hv = true THEN p.id END) AS hv,
       count(DISTINCT CASE WHEN p.hv IS NULL THEN p.id END) AS hv_unknown
