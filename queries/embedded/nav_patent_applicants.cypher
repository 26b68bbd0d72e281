// mode: read
// doc: Applicants of the patents $ids; rows {id, org_id}. Embedded variant: the ids arrive as one newline-joined string $ids_text (LadybugDB converts a long list parameter slowly).
UNWIND string_split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})-[:APPLIED_BY]->(o:Organization)
RETURN p.id AS id, o.id AS org_id
