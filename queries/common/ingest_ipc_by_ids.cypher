// mode: read
// doc: IPC nodes with the given ids (level, titles, parent), to check what the ingest wrote
UNWIND $ids AS cid
MATCH (c:IPC {id: cid})
RETURN c.id AS id, c.level AS level, c.title AS title, c.title_zh AS title_zh, c.parent AS parent
