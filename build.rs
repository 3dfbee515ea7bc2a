// Compiles the PostgreSQL half of the test suite in when LIEN_TEST_POSTGRES_URL is set,
// and the browser tests when LIEN_TEST_WEBDRIVER is; otherwise those tests are listed as
// ignored, with the reason, in `cargo test` output.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(lien_postgres_tests)");
    println!("cargo::rustc-check-cfg=cfg(lien_browser_tests)");
    println!("cargo::rerun-if-env-changed=LIEN_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-env-changed=LIEN_TEST_WEBDRIVER");
    println!("cargo::rerun-if-changed=migrations");
    if std::env::var_os("LIEN_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=lien_postgres_tests");
    }
    // Likewise the browser suite, with a WebDriver (chromedriver) at LIEN_TEST_WEBDRIVER.
    if std::env::var_os("LIEN_TEST_WEBDRIVER").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=lien_browser_tests");
    }
}
