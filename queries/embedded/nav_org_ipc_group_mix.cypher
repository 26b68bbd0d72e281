// mode: read
// doc: IPC main-group mix (H01M4/00) of the patents each organisation of $org_ids applied for, from full codes in Patent.ipc_codes (a patent counts once per main group); rows {org_id, code, patents}.
UNWIND $org_ids AS oid
MATCH (o:Organization {id: oid})<-[:APPLIED_BY]-(p:Patent)
UNWIND p.ipc_codes AS c
WITH o, p, c
WHERE c CONTAINS '/'
RETURN o.id AS org_id, split_part(c, '/', 1) + '/00' AS code, count(DISTINCT p.id) AS patents
