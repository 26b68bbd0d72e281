// mode: read
// doc: stored organisations with the given ids (names, aliases, kind, region), so ingest fills in instead of overwriting
UNWIND $ids AS oid
MATCH (o:Organization {id: oid})
RETURN o.id AS id, o.name AS name, o.aliases AS aliases, o.kind AS kind,
       o.region_code AS region_code, o.address AS address, o.stock_code AS stock_code
