// mode: read
// doc: display names of IPC symbols, regions, SEI categories, chains and chain nodes by id (API facet labels)
MATCH (n:IPC) WHERE n.id IN $ipc
RETURN 'ipc' AS kind, n.id AS id, coalesce(n.title_zh, n.title) AS name
UNION ALL
MATCH (n:Region) WHERE n.id IN $region
RETURN 'region' AS kind, n.id AS id, n.name AS name
UNION ALL
MATCH (n:SEICategory) WHERE n.id IN $sei
RETURN 'sei' AS kind, n.id AS id, n.name AS name
UNION ALL
MATCH (n:IndustryChain) WHERE n.id IN $chain
RETURN 'chain' AS kind, n.id AS id, n.name AS name
UNION ALL
MATCH (n:ChainNode) WHERE n.id IN $chain_node
RETURN 'chain_node' AS kind, n.id AS id, n.name AS name
