-- Reverses up.sql, dependants first.
DROP TABLE audit_events;
DROP TABLE api_tokens;
DROP TABLE operators;
DROP TABLE domains;
DROP TABLE tenants;
