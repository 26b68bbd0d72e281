// mode: read
// doc: organisations whose id, name or alias equals $name, or (when $contains) whose name contains it
MATCH (o:Organization)
WHERE o.id = $name OR o.name = $name OR $name IN o.aliases
   OR ($contains AND o.name CONTAINS $name)
RETURN o.id AS id, o.name AS name, o.kind AS kind, o.region_code AS region_code,
       CASE WHEN o.id = $name OR o.name = $name OR $name IN o.aliases THEN 1 ELSE 0 END AS exact
ORDER BY exact DESC, size(name), id
LIMIT $limit
