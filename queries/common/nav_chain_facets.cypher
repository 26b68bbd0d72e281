// mode: read
// doc: Distinct patents in any segment of chain $chain_id counted by province (first two digits of Patent.region_code, '' unknown) and application year; rows {province, app_year, patents}.
MATCH (c:IndustryChain {id: $chain_id})<-[:PART_OF]-(:ChainNode)<-[:IN_CHAIN_NODE]-(p:Patent)
WITH DISTINCT p
RETURN coalesce(left(p.region_code, 2), '') AS province, p.app_year AS app_year, count(*) AS patents
