// mode: read
// doc: ids of the patents loaded from (or merged with) the file $file, keyset-paged by id (after an API ingest job, for the incremental index update)
MATCH (p:Patent)
WHERE p.id > $after AND $file IN p.sources
RETURN p.id AS id
ORDER BY id
LIMIT $limit
