// mode: read
// doc: Display fields of the organisations $org_ids (labels of a landscape's top holders when the catalog computed the counts); rows {id, name, kind, is_chongqing, region_code}.
UNWIND $org_ids AS oid
MATCH (o:Organization {id: oid})
RETURN o.id AS id, o.name AS name, o.kind AS kind, o.is_chongqing AS is_chongqing,
       o.region_code AS region_code
