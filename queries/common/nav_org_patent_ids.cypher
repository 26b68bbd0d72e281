// mode: read
// doc: Patents applied for (APPLIED_BY) by each organisation of $org_ids; rows {org_id, id}.
UNWIND $org_ids AS oid
MATCH (o:Organization {id: oid})<-[:APPLIED_BY]-(p:Patent)
RETURN o.id AS org_id, p.id AS id
