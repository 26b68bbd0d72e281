// mode: read
// doc: The $limit patents of $ids_text (newline-joined patent ids) cited most often (Patent.cited_count; patents without a count are left out); rows {id, pub_no, title, app_year, kind, cited_count}.
UNWIND split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})
WHERE p.cited_count IS NOT NULL AND p.cited_count > 0
RETURN p.id AS id, p.pub_no AS pub_no, p.title AS title, p.app_year AS app_year,
       p.kind AS kind, p.cited_count AS cited_count
ORDER BY cited_count DESC, id
LIMIT $limit
