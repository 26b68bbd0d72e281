// mode: read
// doc: patents by industry chain (IN_CHAIN_NODE -> ChainNode -> PART_OF -> IndustryChain)
MATCH (p:Patent)-[:IN_CHAIN_NODE]->(:ChainNode)-[:PART_OF]->(c:IndustryChain)
WHERE ($kind = '' OR coalesce(p.kind, 'unknown') = $kind) AND coalesce(p.status, 'unknown') IN $statuses
  AND ($region = '' OR p.region_code STARTS WITH $region)
RETURN c.id AS key, c.name AS name, count(DISTINCT p) AS patents,
       count(DISTINCT CASE WHEN p.hv = true THEN p.id END) AS hv,
       count(DISTINCT CASE WHEN p.hv IS NULL THEN p.id END) AS hv_unknown
