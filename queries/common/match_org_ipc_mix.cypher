// mode: read
// doc: IPC-subclass mix of organisations' patents (applied for or held): patents per subclass
UNWIND $ids AS oid
MATCH (o:Organization {id: oid})
OPTIONAL MATCH (o)<-[:APPLIED_BY|OWNED_BY]-(p:Patent)
UNWIND p.ipc_subclasses AS sc
RETURN o.id AS org_id, sc AS subclass, count(DISTINCT p.id) AS n
