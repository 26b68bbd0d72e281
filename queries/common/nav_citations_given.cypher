// mode: read
// doc: Citations made by patents of $ids_text (newline-joined patent ids) (CITES from them), grouped by the first applicant of the cited patent ('' when it has none); rows {org_id, org_name, citations, cited_patents}.
UNWIND split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})-[:CITES]->(q:Patent)
OPTIONAL MATCH (q)-[a:APPLIED_BY]->(o:Organization)
WHERE a.ord = 0
RETURN coalesce(o.id, '') AS org_id, o.name AS org_name, count(*) AS citations,
       count(DISTINCT q.id) AS cited_patents
ORDER BY citations DESC, org_id
