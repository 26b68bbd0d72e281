// mode: read
// doc: The $limit IPC main groups (H01M4/00) most frequent among patents of $ids_text (newline-joined patent ids), from Patent.ipc_codes holding a group (a patent counts once per main group), with titles; rows {code, title, title_zh, patents}.
UNWIND split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})
UNWIND p.ipc_codes AS c
WITH p, c
WHERE c CONTAINS '/'
WITH split(c, '/')[0] + '/00' AS code, count(DISTINCT p.id) AS patents
ORDER BY patents DESC, code
LIMIT $limit
OPTIONAL MATCH (i:IPC {id: code})
RETURN code, i.title AS title, i.title_zh AS title_zh, patents
ORDER BY patents DESC, code
