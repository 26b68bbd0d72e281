// mode: read
// doc: The chain $chain_id and its segments (ChainNode PART_OF it); rows {chain_id, chain_name, system, tier, complete, source, note, node_id, node_name, position, ipc_patterns, keywords} (node fields null for a chain without segments).
MATCH (c:IndustryChain {id: $chain_id})
OPTIONAL MATCH (c)<-[:PART_OF]-(n:ChainNode)
RETURN c.id AS chain_id, c.name AS chain_name, c.system AS system, c.tier AS tier,
       c.complete AS complete, c.source AS source, c.note AS note,
       n.id AS node_id, n.name AS node_name, n.position AS position,
       n.ipc_patterns AS ipc_patterns, n.keywords AS keywords
ORDER BY node_id
