// mode: read
// doc: a page of patents (ids after $after, ordered) with IPC codes and text, for (re)classification into SEI and chain nodes
MATCH (p:Patent)
WHERE p.id > $after
RETURN p.id AS id, p.ipc_codes AS ipc_codes, p.ipc_subclasses AS ipc_subclasses,
       p.title AS title, p.abstract AS abstract, p.claim1 AS claim1
ORDER BY id
LIMIT $limit
