// mode: read
// doc: page of stored technology demands, ordered by id
MATCH (d:TechDemand)
RETURN d.id AS id, d.title AS title, d.content AS content, d.org_name AS org_name,
       d.source AS source
ORDER BY id
SKIP $skip
LIMIT $limit
