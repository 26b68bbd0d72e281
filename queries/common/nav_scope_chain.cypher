// mode: read
// doc: Patents placed (IN_CHAIN_NODE) in chain node $node_id, or in any node of chain $chain_id (pass '' for the one not used); rows {id}.
MATCH (n:ChainNode)<-[:IN_CHAIN_NODE]-(p:Patent)
WHERE n.id = $node_id OR n.chain_id = $chain_id
RETURN DISTINCT p.id AS id
