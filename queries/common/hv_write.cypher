// mode: write
// doc: store high-value flags, criteria, unknown criteria and evidence JSON on patents (batch; row.hv is 'true' | 'false' | '' for null)
UNWIND $rows AS row
MATCH (p:Patent {id: row.id})
SET p.hv = CASE row.hv WHEN 'true' THEN true WHEN 'false' THEN false ELSE null END,
    p.hv_criteria = row.hv_criteria,
    p.hv_unknown = row.hv_unknown,
    p.hv_evidence = row.hv_evidence
RETURN count(p) AS written
