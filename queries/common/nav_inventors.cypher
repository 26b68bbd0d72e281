// mode: read
// doc: The $limit inventors with most patents of $ids_text (newline-joined patent ids) (an inventor is keyed by name and first applicant); rows {id, name, org_id, patents}.
UNWIND split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})
OPTIONAL MATCH (p)-[:INVENTED_BY]->(v:Inventor)
WITH v, count(*) AS patents
WHERE v IS NOT NULL
RETURN v.id AS id, v.name AS name, v.org_id AS org_id, patents
ORDER BY patents DESC, id
LIMIT $limit
