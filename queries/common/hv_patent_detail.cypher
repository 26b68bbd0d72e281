// mode: read
// doc: stored high-value flag, criteria and evidence of one patent
MATCH (p:Patent {id: $id})
RETURN p.id AS id, p.app_no AS app_no, p.pub_no AS pub_no, p.title AS title, p.kind AS kind,
       p.status AS status, p.app_date AS app_date, p.hv AS hv, p.hv_criteria AS hv_criteria,
       p.hv_unknown AS hv_unknown, p.hv_evidence AS hv_evidence
