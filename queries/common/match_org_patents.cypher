// mode: read
// doc: patents organisations applied for or hold (id, year, kind, status, high-value flag, transfers) (one row with nulls when there is none)
UNWIND $ids AS oid
MATCH (o:Organization {id: oid})
OPTIONAL MATCH (o)<-[:APPLIED_BY|OWNED_BY]-(p:Patent)
RETURN DISTINCT o.id AS org_id, p.id AS id, p.app_year AS app_year, p.kind AS kind,
       p.status AS status, p.hv AS hv, p.transfer_count AS transfer_count
