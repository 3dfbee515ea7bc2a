// Compiles the PostgreSQL half of the test suite in when LIEN_TEST_POSTGRES_URL is set;
// otherwise those tests are listed as ignored, with the reason, in `cargo test` output.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(lien_postgres_tests)");
    println!("cargo::rerun-if-env-changed=LIEN_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-changed=migrations");
    if std::env::var_os("LIEN_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=lien_postgres_tests");
    }
}
