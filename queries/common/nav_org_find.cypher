// mode: read
// doc: Organisations whose id, name, short name or one of whose raw aliases equals one of $names (the caller passes the text as typed and its normalised form); rows {id, name, kind, is_chongqing, region_code, aliases, qualifications, short_name}.
UNWIND $names AS nm
MATCH (o:Organization)
WHERE o.id = nm OR o.name = nm OR o.short_name = nm OR nm IN o.aliases
RETURN DISTINCT o.id AS id, o.name AS name, o.kind AS kind, o.is_chongqing AS is_chongqing,
       o.region_code AS region_code, o.aliases AS aliases, o.qualifications AS qualifications,
       o.short_name AS short_name
ORDER BY id
