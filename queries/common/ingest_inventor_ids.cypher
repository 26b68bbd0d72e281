// mode: read
// doc: id of every inventor, so an ingest inserts only inventors not stored yet
MATCH (i:Inventor)
RETURN i.id AS id
