// mode: read
// doc: listed-company and university details of the given organisations (codes, qualifications, region)
UNWIND $ids AS oid
MATCH (o:Organization {id: oid})
RETURN o.id AS id, o.kind AS kind, o.moe_code AS moe_code, o.stock_code AS stock_code,
       o.short_name AS short_name, o.industry AS industry, o.qualifications AS qualifications,
       o.region_code AS region_code, o.is_chongqing AS is_chongqing, o.aliases AS aliases
