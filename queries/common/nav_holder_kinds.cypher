// mode: read
// doc: Patents of $ids_text (newline-joined patent ids) by the kind of their applicants (a patent with applicants of two kinds counts in both; kind null = the patent has no recorded applicant, or the applicant's kind is unknown); rows {kind, has_applicant, patents}.
UNWIND split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})
OPTIONAL MATCH (p)-[:APPLIED_BY]->(o:Organization)
RETURN o.kind AS kind, o IS NOT NULL AS has_applicant, count(DISTINCT p.id) AS patents
