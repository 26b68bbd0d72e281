// mode: read
// doc: Patent $id with its neighbourhood: applicants (with ord), holders, inventors (with ord), IPC codes (with main flag), cited and citing patents, SEI categories, chain nodes, events, awards (lists unordered: sort by ord); one row or none.
MATCH (p:Patent {id: $id})
OPTIONAL MATCH (p)-[ab:APPLIED_BY]->(a:Organization)
WITH p, collect(CASE WHEN a IS NULL THEN NULL
                ELSE {id: a.id, name: a.name, kind: a.kind, region_code: a.region_code, ord: ab.ord} END) AS applicants
OPTIONAL MATCH (p)-[:OWNED_BY]->(h:Organization)
WITH p, applicants, collect(CASE WHEN h IS NULL THEN NULL ELSE {id: h.id, name: h.name, kind: h.kind} END) AS holders
OPTIONAL MATCH (p)-[ib:INVENTED_BY]->(i:Inventor)
WITH p, applicants, holders,
     collect(CASE WHEN i IS NULL THEN NULL ELSE {id: i.id, name: i.name, ord: ib.ord} END) AS inventors
OPTIONAL MATCH (p)-[ca:CLASSIFIED_AS]->(c:IPC)
WITH p, applicants, holders, inventors,
     collect(CASE WHEN c IS NULL THEN NULL
             ELSE {id: c.id, main: ca.main, level: c.level, title: c.title, title_zh: c.title_zh} END) AS ipc
OPTIONAL MATCH (p)-[:CITES]->(q:Patent)
WITH p, applicants, holders, inventors, ipc,
     collect(CASE WHEN q IS NULL THEN NULL ELSE {id: q.id, title: q.title, app_year: q.app_year} END) AS cites
OPTIONAL MATCH (r:Patent)-[:CITES]->(p)
WITH p, applicants, holders, inventors, ipc, cites,
     collect(CASE WHEN r IS NULL THEN NULL ELSE {id: r.id, title: r.title, app_year: r.app_year} END) AS cited_by
OPTIONAL MATCH (p)-[si:IN_SEI]->(s:SEICategory)
WITH p, applicants, holders, inventors, ipc, cites, cited_by,
     collect(CASE WHEN s IS NULL THEN NULL ELSE {id: s.id, name: s.name, rule: si.rule} END) AS sei
OPTIONAL MATCH (p)-[icn:IN_CHAIN_NODE]->(n:ChainNode)
WITH p, applicants, holders, inventors, ipc, cites, cited_by, sei,
     collect(CASE WHEN n IS NULL THEN NULL
             ELSE {id: n.id, name: n.name, chain_id: n.chain_id, position: n.position, score: icn.score, via: icn.via} END) AS chain_nodes
OPTIONAL MATCH (p)-[:HAS_EVENT]->(e:Event)
WITH p, applicants, holders, inventors, ipc, cites, cited_by, sei, chain_nodes,
     collect(CASE WHEN e IS NULL THEN NULL
             ELSE {id: e.id, kind: e.kind, date: e.date, amount_wan: e.amount_wan, counterparty: e.counterparty} END) AS events
OPTIONAL MATCH (p)-[:WON]->(w:Award)
WITH p, applicants, holders, inventors, ipc, cites, cited_by, sei, chain_nodes, events,
     collect(CASE WHEN w IS NULL THEN NULL ELSE {id: w.id, name: w.name, level: w.level, year: w.year} END) AS awards
RETURN p AS patent, applicants, holders, inventors, ipc, cites, cited_by, sei, chain_nodes, events, awards
