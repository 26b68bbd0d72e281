// mode: read
// doc: Patents carrying the IPC subclass $subclass (H01M) in Patent.ipc_subclasses -- the fast path of nav_scope_ipc for the most common topic form; rows {id}.
MATCH (p:Patent)
WHERE $subclass IN p.ipc_subclasses
RETURN p.id AS id
