// mode: read
// doc: For each organisation of $org_ids, its patents (APPLIED_BY) counted by application year, grant year, kind and legal status, with the sum of cited_count and how many carry one; rows {org_id, app_year, grant_year, kind, status, patents, cited, with_cited}.
UNWIND $org_ids AS oid
MATCH (o:Organization {id: oid})<-[:APPLIED_BY]-(p:Patent)
RETURN o.id AS org_id, p.app_year AS app_year, p.grant_year AS grant_year,
       coalesce(p.kind, 'unknown') AS kind, coalesce(p.status, 'unknown') AS status,
       count(*) AS patents, sum(coalesce(p.cited_count, 0)) AS cited, count(p.cited_count) AS with_cited
