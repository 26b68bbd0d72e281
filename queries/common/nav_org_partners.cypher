// mode: read
// doc: Co-applicants of organisation $org_id: organisations named as applicant on the same patents (shared APPLIED_BY), up to $limit, most shared patents first; rows {id, name, kind, is_chongqing, region_code, patents}.
MATCH (o:Organization {id: $org_id})<-[:APPLIED_BY]-(p:Patent)-[:APPLIED_BY]->(x:Organization)
WHERE x.id <> o.id
RETURN x.id AS id, x.name AS name, x.kind AS kind, x.is_chongqing AS is_chongqing,
       x.region_code AS region_code, count(DISTINCT p.id) AS patents
ORDER BY patents DESC, id
LIMIT $limit
