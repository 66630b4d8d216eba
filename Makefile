# tenantry — run `make help` for the list of targets.
SHELL := /bin/bash
CARGO ?= cargo
DOMAIN_CRATES := tenantry-tenant tenantry-registration
FORBIDDEN_IN_DOMAIN := diesel actix-web tokio

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets with a one-line description
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-12s %s\n", $$1, $$2}'

.PHONY: run
run: ## Serve on 127.0.0.1:8080 with SQLite under ./data/ (set TENANTRY_* to change)
	$(CARGO) run --release --bin tenantry -- serve

.PHONY: build
build: ## Build the release binary (target/release/tenantry)
	$(CARGO) build --release --bin tenantry

.PHONY: test
test: ## Run every test: unit, property, doc, end-to-end (PostgreSQL ones need TENANTRY_TEST_POSTGRES_URL, eox-tenant sync ones TENANTRY_TEST_MYSQL_URL)
	@if [ -z "$$TENANTRY_TEST_POSTGRES_URL" ]; then echo "note: TENANTRY_TEST_POSTGRES_URL is unset; the PostgreSQL tests are reported as skipped"; fi
	@if [ -z "$$TENANTRY_TEST_MYSQL_URL" ]; then echo "note: TENANTRY_TEST_MYSQL_URL is unset (mysql://root@127.0.0.1:3306); the eox-tenant sync tests are reported as skipped"; fi
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --workspace --no-fail-fast --success-output never --failure-output final; \
	else \
	  echo "note: cargo-nextest is not installed (cargo install --locked cargo-nextest); running cargo test instead"; \
	  $(CARGO) test --workspace --no-fail-fast --lib --bins --tests; \
	fi
	$(CARGO) test --workspace --doc

.PHONY: docs-check
docs-check: ## Run every shell and Python example of README.md and docs/api/*.md against a fresh server, on SQLite and PostgreSQL (needs TENANTRY_TEST_POSTGRES_URL)
	python3 .ci/docs-check

.PHONY: bench
bench: ## Benchmarks on the release binary: hot paths against a bare actix route and the argon2 rate, operations at 1k/10k/100k tenants (target/bench/)
	$(CARGO) build --release --bin tenantry --bin tenantry-bench
	target/release/tenantry-bench --out target/bench

.PHONY: chaos
chaos: ## Reliability suite on the release binary (kill -9, frozen/cut PostgreSQL, SMTP outages, login and slow-connection floods, hashing bursts); prints a table
	$(CARGO) build --release --bin tenantry --bin tenantry-chaos
	ulimit -n $$(ulimit -Hn); target/release/tenantry-chaos --json target/chaos/report.json

.PHONY: lint
lint: boundaries ## Check formatting, clippy (warnings are errors), crate boundaries and the HTTP layering
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --quiet -p tenantry-http --test layering

.PHONY: boundaries
boundaries: ## Prove the domain crates depend on no database, web framework or runtime
	@for crate in $(DOMAIN_CRATES); do \
	  deps=$$($(CARGO) tree -p $$crate -e normal --prefix none); \
	  for banned in $(FORBIDDEN_IN_DOMAIN); do \
	    if grep -q "^$$banned v" <<<"$$deps"; then echo "$$crate depends on $$banned"; exit 1; fi; \
	  done; \
	done; echo "domain crates are free of: $(FORBIDDEN_IN_DOMAIN)"

.PHONY: fmt
fmt: ## Format the code
	$(CARGO) fmt --all

.PHONY: migrate
migrate: ## Apply pending migrations to TENANTRY_DATABASE_URL (default sqlite://data/tenantry.db)
	$(CARGO) run --release --bin tenantry -- migrate

.PHONY: hosts
hosts: ## Print hosts-file lines for every active tenant (IP=127.0.0.1 by default)
	@$(CARGO) run --quiet --release --bin tenantry -- hosts --ip $(or $(IP),127.0.0.1)
