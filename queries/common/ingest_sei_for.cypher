// mode: read
// doc: SEI categories (with the concordance rules that matched) of the given patents, as written by ingest
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})-[r:IN_SEI]->(s:SEICategory)
RETURN p.id AS id, s.id AS sei, r.rule AS rule
