//! Tells the tests which servers are configured: with `TENANTRY_TEST_POSTGRES_URL` set,
//! `cfg(tenantry_postgres)` is on; with `TENANTRY_TEST_MYSQL_URL` set (the MariaDB or MySQL
//! server of the eox-tenant sync tests), `cfg(tenantry_mysql)`. Without them, their tests
//! are compiled as `#[ignore]`d, so a run reports them skipped rather than passed.
fn main() {
    for (variable, cfg) in [
        ("TENANTRY_TEST_POSTGRES_URL", "tenantry_postgres"),
        ("TENANTRY_TEST_MYSQL_URL", "tenantry_mysql"),
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        println!("cargo::rerun-if-env-changed={variable}");
        if std::env::var_os(variable).is_some_and(|url| !url.is_empty()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
