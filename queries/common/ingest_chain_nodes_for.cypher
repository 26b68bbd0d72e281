// mode: read
// doc: chain nodes (score, via) the given patents were classified into by ingest
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})-[r:IN_CHAIN_NODE]->(n:ChainNode)
RETURN p.id AS id, n.id AS node, n.chain_id AS chain_id, r.score AS score, r.via AS via
