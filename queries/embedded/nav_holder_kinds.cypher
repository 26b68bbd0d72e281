// mode: read
// doc: Patents of $ids by the kind of their applicants (a patent with applicants of two kinds counts in both; kind null = the patent has no recorded applicant, or the applicant's kind is unknown); rows {kind, has_applicant, patents}. Embedded variant: the ids arrive as one newline-joined string $ids_text (LadybugDB converts a long list parameter slowly).
UNWIND string_split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})
OPTIONAL MATCH (p)-[:APPLIED_BY]->(o:Organization)
RETURN o.kind AS kind, o IS NOT NULL AS has_applicant, count(DISTINCT p.id) AS patents
