// mode: read
// doc: Applicants of the patents $ids_text (newline-joined patent ids); rows {id, org_id}.
UNWIND split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})-[:APPLIED_BY]->(o:Organization)
RETURN p.id AS id, o.id AS org_id
