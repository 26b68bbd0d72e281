// mode: read
// doc: Title, abstract, application year and region code of the patents $ids (for labelling topic clusters); rows {id, title, abstract, app_year, region_code}. Embedded variant: the ids arrive as one newline-joined string $ids_text (LadybugDB converts a long list parameter slowly).
UNWIND string_split($ids_text, '\n') AS pid
MATCH (p:Patent {id: pid})
RETURN p.id AS id, p.title AS title, p.abstract AS abstract, p.app_year AS app_year,
       p.region_code AS region_code
