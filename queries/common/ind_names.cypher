// mode: read
// doc: display names of regions, SEI categories and organisations by id (for indicator keys)
UNWIND $ids AS k
OPTIONAL MATCH (r:Region {id: k})
OPTIONAL MATCH (s:SEICategory {id: k})
OPTIONAL MATCH (o:Organization {id: k})
RETURN k AS id, coalesce(r.name, s.name, o.name) AS name
