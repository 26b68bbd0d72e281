// mode: read
// doc: Titles of the IPC symbols $codes (display form); rows {code, title, title_zh}.
UNWIND $codes AS code
MATCH (i:IPC {id: code})
RETURN i.id AS code, i.title AS title, i.title_zh AS title_zh
