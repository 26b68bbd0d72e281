// mode: read
// doc: every stored property of the given patents, so that a re-ingested row fills in instead of overwriting
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})
RETURN p.id AS id, p.app_no AS app_no, p.pub_no AS pub_no, p.grant_no AS grant_no, p.kind AS kind,
       p.title AS title, p.abstract AS abstract, p.claim1 AS claim1,
       p.app_date AS app_date, p.pub_date AS pub_date, p.grant_date AS grant_date,
       p.expiry_date AS expiry_date, p.legal_status_raw AS legal_status_raw, p.status AS status,
       p.claim_count AS claim_count, p.family_ids AS family_ids, p.family_size AS family_size,
       p.cites_count AS cites_count, p.cited_count AS cited_count,
       p.transfer_count AS transfer_count, p.licence_count AS licence_count,
       p.pledge_count AS pledge_count, p.open_licence AS open_licence, p.ipc_main AS ipc_main,
       p.ipc_codes AS ipc_codes, p.cpc_codes AS cpc_codes, p.province_code AS province_code,
       p.region_code AS region_code, p.sources AS sources
