// mode: read
// doc: page of patents of one kind by high-value state ('true'|'false'|'unknown'|'any'), criterion held / unknown and holder kind ('' = any)
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
RETURN p.id AS id, p.app_no AS app_no, p.pub_no AS pub_no, p.title AS title,
       p.status AS status, p.app_date AS app_date, p.hv AS hv,
       p.hv_criteria AS hv_criteria, p.hv_unknown AS hv_unknown
ORDER BY id
SKIP $skip
LIMIT $limit
