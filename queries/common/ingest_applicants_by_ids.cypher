// mode: read
// doc: applicants (organisation id and position) of the given patents, for merging re-ingested rows
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})-[r:APPLIED_BY]->(o:Organization)
RETURN p.id AS id, o.id AS org_id, r.ord AS ord
