-- V1: the query catalogue every Orleans ADO.NET provider reads at start.
-- Orleans never issues its own SQL: it loads QueryText by QueryKey from this table and binds
-- named parameters (@Name), so the rows below are the contract with the providers.
CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64)   NOT NULL,
    QueryText varchar(8000) NOT NULL,
    CONSTRAINT OrleansQuery_Key PRIMARY KEY (QueryKey)
);
