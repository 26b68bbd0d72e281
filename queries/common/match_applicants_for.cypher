// mode: read
// doc: applicants (APPLIED_BY, with their position) of the given patents (one row with nulls when there is none)
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})
OPTIONAL MATCH (p)-[r:APPLIED_BY]->(o:Organization)
RETURN p.id AS id, o.id AS org_id, o.name AS name, o.kind AS kind,
       o.region_code AS region_code, o.is_chongqing AS is_chongqing, r.ord AS ord
