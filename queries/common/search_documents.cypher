// mode: read
// doc: one keyset page of patents (id > $after, ordered by id, at most $limit) with the text and filter fields of the search indexes and the navigation columns of the catalog (applicant and inventor ids, applicants of unknown kind, cited_count, ipc_main)
MATCH (p:Patent)
WHERE p.id > $after
WITH p
ORDER BY p.id
LIMIT $limit
OPTIONAL MATCH (p)-[:APPLIED_BY]->(o:Organization)
WITH p, collect(DISTINCT o.kind) AS holder_kinds, collect(DISTINCT o.region_code) AS org_regions,
     collect(DISTINCT o.id) AS holder_ids, count(o) - count(o.kind) AS unknown_kind_holders
OPTIONAL MATCH (p)-[:INVENTED_BY]->(v:Inventor)
WITH p, holder_kinds, org_regions, holder_ids, unknown_kind_holders,
     collect(DISTINCT v.id) AS inventor_ids
OPTIONAL MATCH (p)-[:IN_SEI]->(s:SEICategory)
WITH p, holder_kinds, org_regions, holder_ids, unknown_kind_holders, inventor_ids,
     collect(DISTINCT s.id) AS sei_codes
OPTIONAL MATCH (p)-[:IN_CHAIN_NODE]->(c:ChainNode)
WITH p, holder_kinds, org_regions, holder_ids, unknown_kind_holders, inventor_ids, sei_codes,
     collect(DISTINCT c.id) AS chain_node_ids, collect(DISTINCT c.chain_id) AS chain_ids
RETURN p.id AS id, p.title AS title, p.abstract AS abstract, p.claim1 AS claim1,
       p.app_year AS app_year, p.grant_year AS grant_year, p.app_date AS app_date,
       p.kind AS kind, p.status AS status, p.ipc_codes AS ipc_codes,
       p.ipc_subclasses AS ipc_subclasses, p.hv AS hv, p.open_licence AS open_licence,
       p.region_code AS region_code, holder_kinds, org_regions, sei_codes, chain_node_ids,
       chain_ids, holder_ids, unknown_kind_holders, inventor_ids, p.cited_count AS cited_count,
       p.ipc_main AS ipc_main
ORDER BY id
