-- User search folds case over all of Unicode on both backends (issue 12): each user's
-- username, email and name, case-folded by tenantry (the same folding as tenant search),
-- one per line. Written with every insert; rows stored before this migration are filled
-- in at start-up (NULL until then). A tenant's users are found by `tenant_id` first, so
-- the column needs no index of its own.
ALTER TABLE users ADD COLUMN search_text TEXT NULL;
