// mode: read
// doc: classification labels of the given patents (IPC subclasses, SEI categories, chain nodes) for kNN classification
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})
OPTIONAL MATCH (p)-[:IN_SEI]->(s:SEICategory)
OPTIONAL MATCH (p)-[:IN_CHAIN_NODE]->(n:ChainNode)
RETURN p.id AS id, p.title AS title, p.pub_no AS pub_no, p.app_no AS app_no,
       p.ipc_main AS ipc_main, p.ipc_subclasses AS ipc_subclasses,
       collect(DISTINCT s.id) AS sei, collect(DISTINCT n.id) AS chain_nodes
