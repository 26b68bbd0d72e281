// mode: read
// doc: id of every organisation, so an ingest looks up only organisations that are stored
MATCH (o:Organization)
RETURN o.id AS id
