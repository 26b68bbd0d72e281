// mode: read
// doc: identifiers of every patent (id, application / publication / grant numbers), for merge look-ups during ingest
MATCH (p:Patent)
RETURN p.id AS id, p.app_no AS app_no, p.pub_no AS pub_no, p.grant_no AS grant_no
