// mode: read
// doc: The $limit IPC subclasses most frequent among patents of $ids_text (newline-joined patent ids) (a patent counts once per subclass it carries), with the IPC titles; rows {code, title, title_zh, patents}.
UNWIND split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})
UNWIND p.ipc_subclasses AS code
WITH code, count(*) AS patents
ORDER BY patents DESC, code
LIMIT $limit
OPTIONAL MATCH (i:IPC {id: code})
RETURN code, i.title AS title, i.title_zh AS title_zh, patents
ORDER BY patents DESC, code
