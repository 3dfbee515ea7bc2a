//! Test helpers: a fresh database per test (an SQLite file in a temporary folder, or a
//! new PostgreSQL database created and dropped around the test), and the app spawned on
//! a random port.

use std::sync::OnceLock;

use lien::config::{SecretKey, Settings};
use lien::startup::Application;
use lien::store::Store;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates a `sqlite` and a `postgres` test from one async test body
/// `async fn name(backend: Backend)`. Without LIEN_TEST_POSTGRES_URL the PostgreSQL
/// variant is compiled as ignored, and `cargo test` lists it with the reason.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(
                not(lien_postgres_tests),
                ignore = "PostgreSQL suite skipped: set LIEN_TEST_POSTGRES_URL to run it"
            )]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )+};
}

fn init_tracing() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            lien::telemetry::init(lien::config::LogFormat::Text, "debug,sqlx=info");
        }
    });
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("lien.db").display());
                Self {
                    url,
                    _dir: Some(dir),
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("LIEN_TEST_POSTGRES_URL")
                    .expect("LIEN_TEST_POSTGRES_URL is needed for the PostgreSQL suite");
                let name = format!("lien_test_{}", Uuid::new_v4().simple());
                let admin = sqlx::PgPool::connect(&admin_url)
                    .await
                    .expect("connect to LIEN_TEST_POSTGRES_URL");
                sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                    .execute(&admin)
                    .await
                    .expect("create test database");
                admin.close().await;
                let mut url = url::Url::parse(&admin_url).expect("LIEN_TEST_POSTGRES_URL is a URL");
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    _dir: None,
                    postgres: Some((admin_url, name)),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.postgres.take() {
            // Drop runs inside the test's runtime: do the async work on a thread of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(admin) = sqlx::PgPool::connect(&admin_url).await {
                        let _ =
                            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&admin)
                                .await;
                        admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// A migrated store on a fresh database.
pub struct TestStore {
    pub store: Store,
    pub db: TestDatabase,
}

pub async fn fresh_store(backend: Backend) -> TestStore {
    init_tracing();
    let db = TestDatabase::new(backend).await;
    let store = Store::open(&db.url).await.expect("open and migrate");
    TestStore { store, db }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Store,
    /// The settings it was built with (a second instance uses them too).
    pub settings: Settings,
    /// Kept alive for the test's duration: dropping it removes the database.
    pub _db: TestDatabase,
}

/// The value of `name="field" value="…"` in a page, e.g. a form's CSRF token.
pub fn form_value(html: &str, field: &str) -> String {
    let marker = format!("name=\"{field}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {field} field in the page"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

pub const TEST_PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// Creates an account with this role (and the caller or territory it needs).
    pub async fn create_user(&self, role: lien::domain::Role, email: &str) -> lien::store::User {
        use lien::domain::Role;
        let (caller_id, territory_id) = match role {
            Role::Caller => {
                let csv =
                    format!("Nom;Prénom;Email;Capacité hebdomadaire\nTest;Appelant;{email};20\n");
                let parsed = lien::import::rows::parse_callers(
                    &lien::import::read::read_table(csv.as_bytes()).unwrap(),
                    &Default::default(),
                )
                .unwrap();
                let source = lien::store::ImportSource {
                    filename: "t.csv".into(),
                    sha256: email.into(),
                    created_by: None,
                };
                self.store
                    .import_callers(&source, &parsed, false)
                    .await
                    .unwrap();
                (self.store.caller_id_by_email(email).await.unwrap(), None)
            }
            Role::Territory => {
                let code = format!("T-{}", &uuid::Uuid::new_v4().simple().to_string()[..6]);
                let area = 80100 + rand_area();
                let csv = format!("Code;Nom;Emails référents;Codes postaux\n{code};Territoire test;{email};{area}\n");
                let parsed = lien::import::rows::parse_territories(
                    &lien::import::read::read_table(csv.as_bytes()).unwrap(),
                    &Default::default(),
                );
                let id = match parsed {
                    Ok(parsed) => {
                        let source = lien::store::ImportSource {
                            filename: "t.csv".into(),
                            sha256: code.clone(),
                            created_by: None,
                        };
                        self.store
                            .import_territories(&source, &parsed, false)
                            .await
                            .unwrap();
                        self.store.territory_id_by_code(&code).await.unwrap()
                    }
                    Err(e) => panic!("{e}"),
                };
                (None, id)
            }
            _ => (None, None),
        };
        // Issue 17: a relay account manages an organisation's volunteers (one made for
        // it, named after the account), a volunteer account is a volunteer of the pool.
        let organisation_id = match role {
            Role::Relay => Some(
                self.store
                    .relay_organisation(&format!("Relais {email}"))
                    .await
                    .unwrap()
                    .0,
            ),
            _ => None,
        };
        let volunteer_id = match role {
            Role::Volunteer => Some(test_volunteer(&self.store, email, None).await),
            _ => None,
        };
        self.store
            .create_user(&lien::store::NewUser {
                email: lien::domain::EmailAddress::parse(email).unwrap(),
                display_name: format!("Test {}", role.as_str()),
                role,
                password_hash: Some(lien::auth::Password::parse(TEST_PASSWORD).unwrap().hash()),
                caller_id,
                territory_id,
                organisation_id,
                volunteer_id,
            })
            .await
            .unwrap()
    }

    /// Posts the login form as a browser would (CSRF token from the form).
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        post_login(&self.client, &self.address, email, password).await
    }

    /// Another instance of the application (its own server, pool and browser) on the
    /// same database and settings, as behind a load balancer.
    pub async fn second_instance(&self) -> Browser {
        let store = Store::open(&self._db.url)
            .await
            .expect("open the same database");
        let app = Application::build(&self.settings, store)
            .await
            .expect("build a second app");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Browser {
            address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_store(true)
                .build()
                .unwrap(),
        }
    }

    /// Logs out with the logout form of the page header.
    pub async fn logout(&self) {
        let home = self.get("/").await.text().await.unwrap();
        let csrf = form_value(&home, "csrf");
        let out = self
            .client
            .post(format!("{}/logout", self.address))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 303);
    }

    /// A user of this role, logged in; gives the user.
    pub async fn login_as(&self, role: lien::domain::Role) -> lien::store::User {
        let email = format!(
            "{}-{}@test.example.org",
            role.as_str(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let user = self.create_user(role, &email).await;
        let response = self.login(&email, TEST_PASSWORD).await;
        assert_eq!(response.status(), 303, "login as {role:?} failed");
        user
    }

    /// Another browser on the same app and database (its own cookies); the database
    /// stays owned by `app`.
    pub fn new_browser(app: &TestApp) -> Browser {
        Browser {
            address: app.address.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_store(true)
                .build()
                .unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("request")
    }
}

/// A volunteer of the pool (issue 17), managed by the relay `relay` if given; gives its id.
pub async fn test_volunteer(store: &Store, email: &str, relay: Option<i64>) -> i64 {
    lien::store::query_scalar(
        "INSERT INTO volunteers (email, last_name, first_name, origin, qualifications, \
         availability, commune, relay_organisation_id) \
         VALUES ($1, 'Volontaire', 'Test', 'association', '', 'lun 09:00-12:00', 'Bobigny', $2) \
         RETURNING id",
    )
    .bind(email.to_string())
    .bind(relay)
    .fetch_one(store)
    .await
    .unwrap()
}

/// The app on a random port, with its own fresh database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`] with settings changed first (e.g. `require_totp`).
pub async fn spawn_app_with(backend: Backend, change: impl FnOnce(&mut Settings)) -> TestApp {
    let TestStore { store, db } = fresh_store(backend).await;
    let mut settings = Settings::for_database(&db.url).expect("settings");
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.secret_key = Some(SecretKey::random());
    change(&mut settings);
    let app = Application::build(&settings, store.clone())
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    TestApp {
        address,
        client,
        store,
        settings,
        _db: db,
    }
}

/// A postal-code offset for test territories, so that two never cover the same area.
fn rand_area() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed) % 800
}

/// Runs raw SQL on either backend (tests poke at the database directly).
pub async fn execute(store: &Store, sql: &str) -> Result<(), sqlx::Error> {
    match store {
        Store::Sqlite(pool, _) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
    }
}

/// Every row of a raw query, decoded as `T`, on either backend.
pub async fn query_all<T>(store: &Store, sql: &str) -> Vec<T>
where
    T: Send + Unpin,
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    match store {
        Store::Sqlite(pool, _) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
        Store::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
    }
}

/// The single integer a query gives (a COUNT…).
pub async fn scalar(store: &Store, sql: &str) -> i64 {
    query_all::<(i64,)>(store, sql).await[0].0
}

/// The single text a query gives.
pub async fn text(store: &Store, sql: &str) -> String {
    query_all::<(String,)>(store, sql).await.remove(0).0
}

/// The demo data set, this week planned, and an account (not logged in) for the caller
/// with id 1; gives the app and that caller's email.
pub async fn planned_demo_app(backend: Backend) -> (TestApp, String) {
    planned_demo_app_with(backend, |_| {}).await
}

/// [`planned_demo_app`] with caller 1 logged in, and that caller's first assignment of
/// the week.
pub async fn caller_and_first_assignment(backend: Backend) -> (TestApp, i64) {
    let (app, email) = planned_demo_app(backend).await;
    assert_eq!(app.login(&email, TEST_PASSWORD).await.status(), 303);
    let id = first_assignment_of_caller_one(&app.store).await;
    (app, id)
}

/// The first assignment of caller 1 this week.
pub async fn first_assignment_of_caller_one(store: &Store) -> i64 {
    let week = lien::domain::IsoWeek::current().to_string();
    query_all::<(i64,)>(
        store,
        &format!("SELECT MIN(id) FROM assignments WHERE caller_id = 1 AND week = '{week}'"),
    )
    .await
    .remove(0)
    .0
}

/// [`planned_demo_app`] with settings changed first.
pub async fn planned_demo_app_with(
    backend: Backend,
    change: impl FnOnce(&mut Settings),
) -> (TestApp, String) {
    use lien::domain::{CampaignName, EmailAddress, IsoWeek, Role};
    let app = spawn_app_with(backend, change).await;
    let campaign = app
        .store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    app.store
        .load_dataset(
            &campaign,
            "fixtures/demo",
            &lien::fixtures::demo_dataset().unwrap(),
        )
        .await
        .unwrap();
    app.store
        .plan_week(
            &campaign,
            IsoWeek::current(),
            lien::store::PlanMode::Plan,
            false,
        )
        .await
        .unwrap();
    let email = text(&app.store, "SELECT email FROM callers WHERE id = 1").await;
    app.store
        .create_user(&lien::store::NewUser {
            email: EmailAddress::parse(&email).unwrap(),
            display_name: "Appelant".into(),
            role: Role::Caller,
            password_hash: Some(lien::auth::Password::parse(TEST_PASSWORD).unwrap().hash()),
            caller_id: Some(1),
            territory_id: None,
            organisation_id: None,
            volunteer_id: None,
        })
        .await
        .unwrap();
    (app, email)
}

/// A second browser on a [`TestApp`] (see [`TestApp::new_browser`]).
pub struct Browser {
    pub address: String,
    pub client: reqwest::Client,
}

/// Posts the login form of the app at `address` as a browser would (CSRF token from
/// the form).
pub async fn post_login(
    client: &reqwest::Client,
    address: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let form = client
        .get(format!("{address}/login"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .unwrap();
    let csrf = form_value(&form, "csrf");
    client
        .post(format!("{address}/login"))
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf", &csrf),
            ("next", ""),
        ])
        .send()
        .await
        .expect("request")
}

impl Browser {
    /// Posts the login form (see [`post_login`]).
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        post_login(&self.client, &self.address, email, password).await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("request")
    }
}
