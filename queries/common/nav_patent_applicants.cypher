// mode: read
// doc: Applicants of the patents $ids; rows {id, org_id}.
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})-[:APPLIED_BY]->(o:Organization)
RETURN p.id AS id, o.id AS org_id
