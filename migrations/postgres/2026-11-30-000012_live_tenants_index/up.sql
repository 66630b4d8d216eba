-- The live tenants (every status but deleted) in id order (issue 11): the default tenant
-- listing counts them and skips to its page on this index alone, instead of reading every
-- row of the table (a page deep in 100,000 tenants took 80 ms on SQLite, 118 ms on
-- PostgreSQL). The store writes the condition as a literal so that both planners match it.
CREATE INDEX tenants_live_by_id ON tenants (id) WHERE status <> 'deleted';
