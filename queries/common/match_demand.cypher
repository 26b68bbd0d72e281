// mode: read
// doc: one stored technology demand (TechDemand) by id
MATCH (d:TechDemand {id: $id})
RETURN d.id AS id, d.title AS title, d.content AS content, d.org_name AS org_name,
       d.region_code AS region_code, d.source AS source
