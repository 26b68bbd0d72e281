// mode: read
// doc: Patents classified (CLASSIFIED_AS) under IPC $prefix (upper-case: section H, class H01, subclass H01M or main group H01M4/00), counted per next level down (class, subclass, main group, group); rows {code, title, title_zh, patents}.
WITH $prefix AS prefix
MATCH (c:IPC)<-[:CLASSIFIED_AS]-(p:Patent)
WHERE (NOT prefix CONTAINS '/' AND c.id STARTS WITH prefix AND size(c.id) > size(prefix)
       AND (size(prefix) < 4 OR c.id CONTAINS '/'))
   OR (prefix CONTAINS '/' AND c.id CONTAINS '/' AND split(c.id, '/')[0] = split(prefix, '/')[0])
WITH p, CASE
       WHEN size(prefix) = 1 THEN left(c.id, 3)
       WHEN size(prefix) = 3 THEN left(c.id, 4)
       WHEN NOT prefix CONTAINS '/' THEN split(c.id, '/')[0] + '/00'
       ELSE c.id
     END AS code
WITH code, count(DISTINCT p) AS patents
OPTIONAL MATCH (i:IPC {id: code})
RETURN code, i.title AS title, i.title_zh AS title_zh, patents
ORDER BY patents DESC, code
