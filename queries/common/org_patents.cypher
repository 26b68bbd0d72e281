// mode: read
// doc: Patents applied for by organisation $id, newest application first, at most $limit; rows {id, title, kind, status, app_date, app_year, ipc_main, ord}.
MATCH (o:Organization {id: $id})<-[r:APPLIED_BY]-(p:Patent)
RETURN p.id AS id, p.title AS title, p.kind AS kind, p.status AS status,
       p.app_date AS app_date, p.app_year AS app_year, p.ipc_main AS ipc_main, r.ord AS ord
ORDER BY coalesce(p.app_date, date('1900-01-01')) DESC, id
LIMIT $limit
