// mode: read
// doc: Title, abstract, application year and region code of the patents $ids_text (newline-joined patent ids) (for labelling topic clusters); rows {id, title, abstract, app_year, region_code}.
UNWIND split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})
RETURN p.id AS id, p.title AS title, p.abstract AS abstract, p.app_year AS app_year,
       p.region_code AS region_code
