// mode: read
// doc: every organisation's id, name, kind, region and stock code (to link listed-company short names to applicants)
MATCH (o:Organization)
RETURN o.id AS id, o.name AS name, o.kind AS kind, o.region_code AS region_code,
       o.aliases AS aliases, o.stock_code AS stock_code
