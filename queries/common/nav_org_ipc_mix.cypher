// mode: read
// doc: IPC-subclass mix of the patents each organisation of $org_ids applied for (a patent counts once per subclass); rows {org_id, code, patents}.
UNWIND $org_ids AS oid
MATCH (o:Organization {id: oid})<-[:APPLIED_BY]-(p:Patent)
UNWIND p.ipc_subclasses AS code
RETURN o.id AS org_id, code, count(*) AS patents
