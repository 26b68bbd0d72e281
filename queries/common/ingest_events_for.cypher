// mode: read
// doc: events (transfer / licence / pledge / open licence) of the given patents, as written by ingest
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})-[:HAS_EVENT]->(e:Event)
RETURN p.id AS id, e.id AS event_id, e.kind AS kind, e.date AS date
