// mode: read
// doc: organisation records (kind, region, qualifications) by id
UNWIND $ids AS oid
MATCH (o:Organization {id: oid})
RETURN o.id AS id, o.name AS name, o.kind AS kind, o.region_code AS region_code,
       o.is_chongqing AS is_chongqing, o.qualifications AS qualifications,
       o.short_name AS short_name, o.industry AS industry
