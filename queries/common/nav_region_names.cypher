// mode: read
// doc: Every Region node; rows {code, name, level, parent}.
MATCH (r:Region)
RETURN r.id AS code, r.name AS name, r.level AS level, r.parent AS parent
ORDER BY code
