// mode: read
// doc: patents by chain segment (IN_CHAIN_NODE -> ChainNode)
MATCH (p:Patent)-[:IN_CHAIN_NODE]->(n:ChainNode)
WHERE ($kind = '' OR coalesce(p.kind, 'unknown') = $kind) AND coalesce(p.status, 'unknown') IN $statuses
  AND ($region = '' OR p.region_code STARTS WITH $region)
RETURN n.id AS key, n.name AS name, n.chain_id AS chain_id, count(DISTINCT p) AS patents,
       count(DISTINCT CASE WHEN p.hv = true THEN p.id END) AS hv,
       count(DISTINCT CASE WHEN p.hv IS NULL THEN p.id END) AS hv_unknown
