// mode: read
// doc: Organisations (other than $exclude) applying for patents that carry any of the IPC subclasses $subclasses, with how many such patents, up to $limit, most first; rows {id, patents}. Embedded variant: list_has_any scans the patents once (a lambda with a parameter is not supported, and one scan per subclass was 4x slower).
MATCH (p:Patent)
WHERE list_has_any(p.ipc_subclasses, $subclasses)
MATCH (p)-[:APPLIED_BY]->(o:Organization)
WHERE NOT o.id IN $exclude
RETURN o.id AS id, count(*) AS patents
ORDER BY patents DESC, id
LIMIT $limit
