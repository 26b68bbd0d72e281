// mode: read
// doc: Organisations whose id, name, short_name or one of its aliases equals $name exactly; rows {org}.
MATCH (o:Organization)
WHERE o.id = $name OR o.name = $name OR o.short_name = $name OR $name IN o.aliases
RETURN o AS org
ORDER BY o.id
