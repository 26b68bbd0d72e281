// mode: read
// doc: Patents of $ids_text (newline-joined patent ids) counted by application year, grant year and region class of the patent's region_code (cq = starts with $cq_prefix, other, unknown = no region); rows {app_year, grant_year, region_class, patents}.
UNWIND split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})
RETURN p.app_year AS app_year, p.grant_year AS grant_year,
       CASE WHEN p.region_code IS NULL THEN 'unknown'
            WHEN p.region_code STARTS WITH $cq_prefix THEN 'cq'
            ELSE 'other' END AS region_class,
       count(*) AS patents
