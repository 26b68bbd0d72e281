// mode: read
// doc: For each organisation of $org_ids, CITES links from its patents (given) and to its patents (received); rows {org_id, given, received}.
UNWIND $org_ids AS oid
MATCH (o:Organization {id: oid})<-[:APPLIED_BY]-(p:Patent)
OPTIONAL MATCH (p)-[g:CITES]->(:Patent)
WITH o, p, count(g) AS given
OPTIONAL MATCH (p)<-[r:CITES]-(:Patent)
WITH o, given, count(r) AS received
RETURN o.id AS org_id, sum(given) AS given, sum(received) AS received
