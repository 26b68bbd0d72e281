// mode: read
// doc: pledge-financing candidates: invention patents of enterprises (applicant, for patents without a recorded current holder) that are high-value, or hv-unknown but in an SEI category; best first
MATCH (p:Patent)-[:APPLIED_BY]->(o:Organization)
WHERE p.kind = $kind AND o.kind = $holder_kind
  AND NOT EXISTS { MATCH (p)-[:OWNED_BY]->(:Organization) }
  AND (p.hv = true OR ($include_sei_unknown AND p.hv IS NULL AND $sei IN p.hv_criteria))
  AND ($region = '' OR p.region_code STARTS WITH $region)
RETURN p.id AS id, p.app_no AS app_no, p.pub_no AS pub_no, p.title AS title,
       p.status AS status, p.app_date AS app_date, p.hv AS hv, p.hv_criteria AS hv_criteria,
       p.hv_unknown AS hv_unknown, p.hv_evidence AS hv_evidence, p.pledge_count AS pledge_count,
       p.ipc_main AS ipc_main, o.id AS org_id, o.name AS org_name, o.region_code AS org_region,
       o.qualifications AS qualifications,
       CASE WHEN p.hv = true THEN 1 ELSE 0 END AS confirmed, size(p.hv_criteria) AS n_criteria
ORDER BY confirmed DESC, n_criteria DESC, id
LIMIT $limit
