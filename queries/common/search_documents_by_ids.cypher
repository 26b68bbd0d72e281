// mode: read
// doc: The patents with ids in $ids_text (newline-joined), with the text and filter fields of the search indexes and the navigation columns of the catalog (applicant ids, ids of applicants whose kind is unknown, inventor ids, cited_count, ipc_main); index builds read every patent through it in pages, updates the changed ones.
UNWIND split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})
OPTIONAL MATCH (p)-[:APPLIED_BY]->(o:Organization)
WITH p, collect(DISTINCT o.kind) AS holder_kinds, collect(DISTINCT o.region_code) AS org_regions,
     collect(DISTINCT o.id) AS holder_ids,
     collect(DISTINCT CASE WHEN o.kind IS NULL THEN o.id END) AS unknown_kind_holder_ids
OPTIONAL MATCH (p)-[:INVENTED_BY]->(v:Inventor)
WITH p, holder_kinds, org_regions, holder_ids, unknown_kind_holder_ids,
     collect(DISTINCT v.id) AS inventor_ids
OPTIONAL MATCH (p)-[:IN_SEI]->(s:SEICategory)
WITH p, holder_kinds, org_regions, holder_ids, unknown_kind_holder_ids, inventor_ids,
     collect(DISTINCT s.id) AS sei_codes
OPTIONAL MATCH (p)-[:IN_CHAIN_NODE]->(c:ChainNode)
WITH p, holder_kinds, org_regions, holder_ids, unknown_kind_holder_ids, inventor_ids, sei_codes,
     collect(DISTINCT c.id) AS chain_node_ids, collect(DISTINCT c.chain_id) AS chain_ids
RETURN p.id AS id, p.title AS title, p.abstract AS abstract, p.claim1 AS claim1,
       p.app_year AS app_year, p.grant_year AS grant_year, p.app_date AS app_date,
       p.kind AS kind, p.status AS status, p.ipc_codes AS ipc_codes,
       p.ipc_subclasses AS ipc_subclasses, p.hv AS hv, p.open_licence AS open_licence,
       p.region_code AS region_code, holder_kinds, org_regions, sei_codes, chain_node_ids,
       chain_ids, holder_ids, unknown_kind_holder_ids, inventor_ids,
       p.cited_count AS cited_count, p.ipc_main AS ipc_main
ORDER BY id
