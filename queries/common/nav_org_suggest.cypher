// mode: read
// doc: Up to $limit organisations whose name contains $text, shortest names first (suggestions when a name does not resolve); rows {id, name, kind}.
MATCH (o:Organization)
WHERE o.name CONTAINS $text
RETURN o.id AS id, o.name AS name, o.kind AS kind
ORDER BY size(o.name), id
LIMIT $limit
