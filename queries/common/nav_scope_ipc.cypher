// mode: read
// doc: Patents classified under any of the IPC prefixes $prefixes (display form, upper case; a subclass such as H01M, a shorter section/class prefix such as H01, or a longer prefix such as H01M4/ or H01M4/36 matched against Patent.ipc_codes; single subclasses go through nav_scope_ipc_subclass, which is faster); rows {id}.
UNWIND $prefixes AS x
MATCH (p:Patent)
WHERE (size(x) = 4 AND x IN p.ipc_subclasses)
   OR (size(x) < 4 AND any(s IN p.ipc_subclasses WHERE s STARTS WITH x))
   OR (size(x) > 4 AND left(x, 4) IN p.ipc_subclasses AND any(c IN p.ipc_codes WHERE c STARTS WITH x))
RETURN DISTINCT p.id AS id
