// mode: read
// doc: every patent with IPC subclasses (id, title, subclasses) -- the pool of the matching evaluation
MATCH (p:Patent)
WHERE size(p.ipc_subclasses) > 0
RETURN p.id AS id, p.title AS title, p.ipc_subclasses AS ipc_subclasses
ORDER BY id
