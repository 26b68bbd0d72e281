// mode: read
// doc: one page of patents (keyset on id) with their stored high-value flag, criteria, unknown criteria and evidence
MATCH (p:Patent)
WHERE p.id > $after
RETURN p.id AS id, p.kind AS kind, p.status AS status, p.app_date AS app_date,
       p.family_ids AS family_ids, p.overseas_family AS overseas_family,
       p.pledge_count AS pledge_count, p.hv AS hv, p.hv_criteria AS hv_criteria,
       p.hv_unknown AS hv_unknown, p.hv_evidence AS hv_evidence
ORDER BY id
LIMIT $limit
