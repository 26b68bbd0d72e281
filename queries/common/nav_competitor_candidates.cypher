// mode: read
// doc: Organisations (other than $exclude) applying for patents that carry any of the IPC subclasses $subclasses, with how many such patents, up to $limit, most first; rows {id, patents}.
MATCH (p:Patent)
WHERE any(s IN p.ipc_subclasses WHERE s IN $subclasses)
MATCH (p)-[:APPLIED_BY]->(o:Organization)
WHERE NOT o.id IN $exclude
RETURN o.id AS id, count(*) AS patents
ORDER BY patents DESC, id
LIMIT $limit
