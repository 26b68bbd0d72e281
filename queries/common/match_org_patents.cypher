// mode: read
// doc: patents organisations applied for or hold, newest application first (id, year, high-value flag)
UNWIND $ids AS oid
MATCH (o:Organization {id: oid})<-[:APPLIED_BY|OWNED_BY]-(p:Patent)
RETURN DISTINCT o.id AS org_id, p.id AS id, p.app_year AS app_year, p.kind AS kind,
       p.status AS status, p.hv AS hv, p.transfer_count AS transfer_count
