// mode: read
// doc: Patents of $ids_text (newline-joined patent ids) by region of the patent's region_code: the district code inside the province starting with $cq_prefix, the province code (2 digits + 0000) elsewhere, '' when unknown; rows {region, patents}.
UNWIND split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})
RETURN CASE WHEN p.region_code IS NULL THEN ''
            WHEN p.region_code STARTS WITH $cq_prefix THEN p.region_code
            ELSE left(p.region_code, 2) + '0000' END AS region,
       count(*) AS patents
