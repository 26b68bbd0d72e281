// mode: read
// doc: one page of patents (keyset on id, ascending) with the facts the high-value criteria need and the flags stored now
MATCH (p:Patent)
WHERE p.id > $after
RETURN p.id AS id, p.pub_no AS pub_no, p.kind AS kind, p.status AS status,
       p.app_date AS app_date, p.family_ids AS family_ids, p.family_size AS family_size,
       p.overseas_family AS overseas_family, p.pledge_count AS pledge_count,
       p.ipc_main AS ipc_main, size(p.ipc_codes) AS n_ipc,
       p.hv AS hv, p.hv_criteria AS hv_criteria, p.hv_unknown AS hv_unknown,
       p.hv_evidence AS hv_evidence
ORDER BY id
LIMIT $limit
