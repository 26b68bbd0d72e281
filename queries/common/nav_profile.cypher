// mode: read
// doc: Patents of $ids_text (newline-joined patent ids) counted by kind, legal status, region class (cq / other / unknown, see nav_trend) and which fields they carry (application year, IPC subclass, a main IPC code down to the group, abstract, citation count); with the sum of cited_count; rows {kind, status, region_class, has_year, has_ipc, has_ipc_group, has_abstract, has_cited, patents, cited}.
UNWIND split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})
RETURN coalesce(p.kind, 'unknown') AS kind, coalesce(p.status, 'unknown') AS status,
       CASE WHEN p.region_code IS NULL THEN 'unknown'
            WHEN p.region_code STARTS WITH $cq_prefix THEN 'cq'
            ELSE 'other' END AS region_class,
       p.app_year IS NOT NULL AS has_year,
       coalesce(size(p.ipc_subclasses), 0) > 0 AS has_ipc,
       coalesce(p.ipc_main CONTAINS '/', false) AS has_ipc_group,
       coalesce(p.abstract, '') <> '' AS has_abstract,
       p.cited_count IS NOT NULL AS has_cited,
       count(*) AS patents, sum(coalesce(p.cited_count, 0)) AS cited
