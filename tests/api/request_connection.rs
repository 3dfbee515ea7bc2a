//! Issue 16: on PostgreSQL a request's statements on the pool share one connection,
//! and requests keeping one never starve the pool; on SQLite nothing is kept.

use std::time::Duration;

use lien::store::db::{query, query_scalar};
use lien::store::request_connection::SPARE_FOR;
use lien::store::request_connection::{self, KEPT_AT_ONCE};
use lien::store::Store;

use crate::helpers::{fresh_store, Backend};
use crate::on_both_backends;

on_both_backends!(
    a_requests_statements_run_on_one_connection,
    a_transaction_or_a_release_gives_the_connection_back,
    more_requests_than_connections_all_finish,
    a_request_gives_its_connection_to_the_next,
);

/// A temporary table lives on the connection that made it: read back on another
/// connection, it is not there.
async fn make_probe(store: &Store) {
    query("CREATE TEMPORARY TABLE request_probe (n INTEGER)")
        .execute(store)
        .await
        .expect("create the probe");
}

async fn probe_is_here(store: &Store) -> bool {
    query_scalar::<i64>("SELECT COUNT(*) FROM request_probe")
        .fetch_one(store)
        .await
        .is_ok()
}

async fn a_requests_statements_run_on_one_connection(backend: Backend) {
    let t = fresh_store(backend).await;
    let store = &t.store;
    if backend == Backend::Sqlite {
        request_connection::scope(async {
            one_statement(store).await;
            assert!(!request_connection::keeps_one(), "SQLite keeps no reader");
        })
        .await;
        return;
    }
    let seen = request_connection::scope(async {
        assert!(!request_connection::keeps_one());
        make_probe(store).await;
        assert!(
            request_connection::keeps_one(),
            "the first statement's connection is kept"
        );
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push(probe_is_here(store).await);
        }
        seen
    })
    .await;
    assert_eq!(
        seen,
        vec![true; 5],
        "every later statement ran on the same connection"
    );
    // Outside a request nothing is kept.
    one_statement(store).await;
    assert!(!request_connection::keeps_one());
}

async fn one_statement(store: &Store) {
    query_scalar::<i64>("SELECT COUNT(*) FROM territories")
        .fetch_one(store)
        .await
        .expect("a statement outside a request");
}

/// On PostgreSQL a transaction begins on the connection the request keeps, and the
/// request keeps none while it runs.
async fn a_transaction_or_a_release_gives_the_connection_back(backend: Backend) {
    let t = fresh_store(backend).await;
    let store = &t.store;
    let keeps = backend == Backend::Postgres;
    request_connection::scope(async {
        one_statement(store).await;
        assert_eq!(request_connection::keeps_one(), keeps);
        request_connection::release();
        assert!(!request_connection::keeps_one(), "released on demand");

        if keeps {
            make_probe(store).await;
        } else {
            one_statement(store).await;
        }
        assert_eq!(request_connection::keeps_one(), keeps);
        let mut tx = store.begin().await.expect("begin");
        assert!(
            !request_connection::keeps_one(),
            "the request keeps nothing while its transaction runs"
        );
        if keeps {
            // The transaction began on the connection the request kept (no ping to give
            // it back, no wait for another): the probe made on it is there.
            let n: i64 = query_scalar("SELECT COUNT(*) FROM request_probe")
                .fetch_one(&mut tx)
                .await
                .expect("the kept connection's probe, read in the transaction");
            assert_eq!(n, 0);
        }
        query("INSERT INTO territories (code, name, referent_emails) VALUES ($1, $2, $3)")
            .bind("T-KEPT")
            .bind("Territoire")
            .bind("t@example.org")
            .execute(&mut tx)
            .await
            .expect("insert in the transaction");
        tx.commit().await.expect("commit");
        let n: i64 = query_scalar("SELECT COUNT(*) FROM territories WHERE code = 'T-KEPT'")
            .fetch_one(store)
            .await
            .expect("read after the commit");
        assert_eq!(n, 1, "the request's next statement sees its own commit");
    })
    .await;
}

/// Three times as many requests as the pool has connections, each keeping one, then
/// writing in a transaction, then reading again, all at once: every one finishes, and
/// every write is there.
async fn more_requests_than_connections_all_finish(backend: Backend) {
    let t = fresh_store(backend).await;
    let requests = 3 * KEPT_AT_ONCE.max(10);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..requests {
        let store = t.store.clone();
        tasks.spawn(request_connection::scope(async move {
            let _: i64 = query_scalar("SELECT COUNT(*) FROM territories")
                .fetch_one(&store)
                .await?;
            let mut tx = store.begin().await?;
            query("INSERT INTO territories (code, name, referent_emails) VALUES ($1, $2, $3)")
                .bind(format!("T-{i}"))
                .bind("Territoire")
                .bind("t@example.org")
                .execute(&mut tx)
                .await?;
            tokio::time::sleep(Duration::from_millis(5)).await;
            tx.commit().await?;
            query_scalar::<i64>("SELECT COUNT(*) FROM territories")
                .fetch_one(&store)
                .await
        }));
    }
    let all = tokio::time::timeout(Duration::from_secs(60), async {
        let mut done = 0;
        while let Some(result) = tasks.join_next().await {
            result
                .expect("the request's task")
                .expect("the request's statements");
            done += 1;
        }
        done
    })
    .await
    .expect("no request waits for ever on the pool");
    assert_eq!(all, requests);
    let n: i64 = query_scalar("SELECT COUNT(*) FROM territories WHERE code LIKE 'T-%'")
        .fetch_one(&t.store)
        .await
        .unwrap();
    assert_eq!(n as usize, requests);
}

/// On PostgreSQL a request that ends leaves its connection to the next request (a
/// spare, no ping), unless its last statement failed; a spare not taken within
/// `SPARE_FOR` goes back to its pool at the next request of any pool; a store closed
/// with spares closes at once.
async fn a_request_gives_its_connection_to_the_next(backend: Backend) {
    let t = fresh_store(backend).await;
    let store = &t.store;
    let Store::Postgres(pool) = store else {
        request_connection::scope(one_statement(store)).await;
        assert!(!request_connection::keeps_one(), "SQLite keeps no reader");
        return;
    };
    request_connection::scope(make_probe(store)).await;
    assert_eq!(
        request_connection::spares_of(pool),
        1,
        "the connection is spare"
    );
    let next = request_connection::scope(probe_is_here(store)).await;
    assert!(
        next,
        "the next request runs on the connection the last one left"
    );
    // A failed statement: the connection goes back to the pool, not to the next request.
    request_connection::scope(async {
        one_statement(store).await;
        let failed = query("SELECT no_such_column FROM territories")
            .execute(store)
            .await;
        assert!(failed.is_err());
        assert!(
            !request_connection::keeps_one(),
            "a connection whose statement failed is not kept"
        );
    })
    .await;
    assert_eq!(request_connection::spares_of(pool), 0);
    // A spare not taken in time goes back to the pool when a request next looks (the
    // rule itself: `request_connection`'s unit tests).
    request_connection::scope(one_statement(store)).await;
    assert_eq!(request_connection::spares_of(pool), 1);
    tokio::time::sleep(SPARE_FOR + Duration::from_millis(100)).await;
    let other = Store::open(&t.db.url).await.expect("another pool");
    request_connection::scope(one_statement(&other)).await;
    assert_eq!(
        request_connection::spares_of(pool),
        0,
        "another pool's request gave back the spare that waited too long"
    );
    other.close().await;
    // A store closed while a connection is spare: closing waits for every connection
    // handed out, so the spares go back first.
    request_connection::scope(one_statement(store)).await;
    assert_eq!(request_connection::spares_of(pool), 1);
    tokio::time::timeout(Duration::from_secs(10), store.close())
        .await
        .expect("the store closes with a spare connection");
    assert_eq!(request_connection::spares_of(pool), 0);
}
