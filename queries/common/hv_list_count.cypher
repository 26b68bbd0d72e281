// mode: read
// doc: number of patents hv_list would page through (same filters)
MATCH (p:Patent)
WHERE p.kind = $kind
  AND ($state = 'any' OR ($state = 'true' AND p.hv = true) OR ($state = 'false' AND p.hv = false)
       OR ($state = 'unknown' AND p.hv IS NULL))
  AND ($criterion = '' OR $criterion IN p.hv_criteria)
  AND ($unknown_criterion = '' OR $unknown_criterion IN p.hv_unknown)
  AND ($holder_kind = ''
       OR EXISTS { MATCH (p)-[:OWNED_BY]->(o:Organization) WHERE o.kind = $holder_kind }
       OR (NOT EXISTS { MATCH (p)-[:OWNED_BY]->(:Organization) }
           AND EXISTS { MATCH (p)-[:APPLIED_BY]->(a:Organization) WHERE a.kind = $holder_kind }))
RETURN count(p) AS n
