// mode: read
// doc: Organisations (other than $exclude) applying for patents in the IPC subclasses $subclasses, with how many of their patents fall in those subclasses, up to $limit, most first; rows {id, patents}.
UNWIND $subclasses AS sc
MATCH (p:Patent)
WHERE sc IN p.ipc_subclasses
WITH DISTINCT p
MATCH (p)-[:APPLIED_BY]->(o:Organization)
WHERE NOT o.id IN $exclude
RETURN o.id AS id, count(*) AS patents
ORDER BY patents DESC, id
LIMIT $limit
