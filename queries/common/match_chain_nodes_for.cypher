// mode: read
// doc: industry-chain segments (IN_CHAIN_NODE) of the given patents (one row with nulls when there is none)
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})
OPTIONAL MATCH (p)-[:IN_CHAIN_NODE]->(n:ChainNode)
RETURN p.id AS id, n.id AS node_id, n.name AS name, n.chain_id AS chain_id
