// mode: read
// doc: The $limit IPC main groups (H01M4/00) most frequent among patents of $ids, from Patent.ipc_codes holding a group (a patent counts once per main group), with titles; rows {code, title, title_zh, patents}. Embedded variant: the ids arrive as one newline-joined string $ids_text (LadybugDB converts a long list parameter slowly).
UNWIND string_split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})
UNWIND p.ipc_codes AS c
WITH p, c
WHERE c CONTAINS '/'
WITH split_part(c, '/', 1) + '/00' AS code, count(DISTINCT p.id) AS patents
ORDER BY patents DESC, code
LIMIT $limit
OPTIONAL MATCH (i:IPC {id: code})
RETURN code, i.title AS title, i.title_zh AS title_zh, patents
ORDER BY patents DESC, code
