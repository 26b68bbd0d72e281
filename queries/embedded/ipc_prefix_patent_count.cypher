// mode: read
// doc: Number of distinct patents classified (CLASSIFIED_AS) anywhere under IPC $prefix (same prefix forms as ipc_subtree_counts); one row {patents}.
WITH $prefix AS prefix
MATCH (c:IPC)<-[:CLASSIFIED_AS]-(p:Patent)
WHERE (NOT prefix CONTAINS '/' AND c.id STARTS WITH prefix)
   OR (prefix CONTAINS '/' AND c.id CONTAINS '/' AND split_part(c.id, '/', 1) = split_part(prefix, '/', 1))
RETURN count(DISTINCT p) AS patents
