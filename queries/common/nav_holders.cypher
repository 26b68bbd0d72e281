// mode: read
// doc: The $limit organisations that applied for (APPLIED_BY) most patents of $ids_text (newline-joined patent ids); rows {id, name, kind, is_chongqing, region_code, patents}, most patents first.
UNWIND split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})
OPTIONAL MATCH (p)-[:APPLIED_BY]->(o:Organization)
WITH o, count(*) AS patents
WHERE o IS NOT NULL
RETURN o.id AS id, o.name AS name, o.kind AS kind, o.is_chongqing AS is_chongqing,
       o.region_code AS region_code, patents
ORDER BY patents DESC, id
LIMIT $limit
