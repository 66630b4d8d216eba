//! Tells the tests whether PostgreSQL is configured: with `TENANTRY_TEST_POSTGRES_URL`
//! set, `cfg(tenantry_postgres)` is on; without it, every PostgreSQL test is compiled as
//! `#[ignore]`d, so a run reports it skipped rather than passed.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(tenantry_postgres)");
    println!("cargo::rerun-if-env-changed=TENANTRY_TEST_POSTGRES_URL");
    if std::env::var_os("TENANTRY_TEST_POSTGRES_URL").is_some_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=tenantry_postgres");
    }
}
