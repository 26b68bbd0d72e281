// mode: read
// doc: current holders (OWNED_BY) of the given patents, for merging re-ingested rows
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})-[:OWNED_BY]->(o:Organization)
RETURN p.id AS id, o.id AS org_id
