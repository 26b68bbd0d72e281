// mode: read
// doc: industry-chain segments of organisations' patents (applied for or held): patents per segment (one row with nulls when there is none)
UNWIND $ids AS oid
MATCH (o:Organization {id: oid})
OPTIONAL MATCH (o)<-[:APPLIED_BY|OWNED_BY]-(p:Patent)-[:IN_CHAIN_NODE]->(n:ChainNode)
RETURN o.id AS org_id, n.id AS node_id, n.name AS name, n.chain_id AS chain_id,
       count(DISTINCT p.id) AS n
