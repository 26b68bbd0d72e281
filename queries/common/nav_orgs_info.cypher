// mode: read
// doc: Organisations $org_ids with their patent counts (APPLIED_BY); rows {id, name, kind, is_chongqing, region_code, patents}.
UNWIND $org_ids AS oid
MATCH (o:Organization {id: oid})
OPTIONAL MATCH (o)<-[:APPLIED_BY]-(p:Patent)
RETURN o.id AS id, o.name AS name, o.kind AS kind, o.is_chongqing AS is_chongqing,
       o.region_code AS region_code, count(p) AS patents
