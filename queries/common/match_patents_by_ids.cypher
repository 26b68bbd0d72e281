// mode: read
// doc: patent records the matching service explains and filters (text, status, transfer and licence facts, high-value flag)
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})
RETURN p.id AS id, p.app_no AS app_no, p.pub_no AS pub_no, p.title AS title,
       p.abstract AS abstract, p.claim1 AS claim1, p.kind AS kind, p.status AS status,
       p.app_date AS app_date, p.app_year AS app_year, p.ipc_main AS ipc_main,
       p.ipc_subclasses AS ipc_subclasses, p.transfer_count AS transfer_count,
       p.licence_count AS licence_count, p.open_licence AS open_licence,
       p.hv AS hv, p.hv_criteria AS hv_criteria, p.hv_unknown AS hv_unknown,
       p.region_code AS region_code
