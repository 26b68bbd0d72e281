// mode: read
// doc: Organisations applying for patents in the segments of chain $chain_id that are either located in Chongqing (is_chongqing) or of a kind in $kinds (universities / institutes as gap-closing candidates); rows {node_id, id, name, kind, is_chongqing, region_code, patents}.
MATCH (c:IndustryChain {id: $chain_id})<-[:PART_OF]-(n:ChainNode)<-[:IN_CHAIN_NODE]-(p:Patent)-[:APPLIED_BY]->(o:Organization)
WHERE o.is_chongqing = true OR o.kind IN $kinds
RETURN n.id AS node_id, o.id AS id, o.name AS name, o.kind AS kind, o.is_chongqing AS is_chongqing,
       o.region_code AS region_code, count(DISTINCT p.id) AS patents
