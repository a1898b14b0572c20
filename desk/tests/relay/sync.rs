//! Sync: resumable, never stores a case twice, acknowledges only what is durably stored.

use workvoice_desk::{DeskError, SyncOptions};

use crate::world::{Proxy, World};

#[tokio::test]
async fn an_interrupted_pull_resumes_without_duplicates() {
    let proxy = Proxy::start().await;
    let world = World::with_relay_url(Some(&proxy)).await;
    let mut sent = Vec::new();
    for i in 0..7 {
        sent.push(world.submit_sample(i).await);
    }
    // The second inbox page is cut in the middle of its body.
    proxy
        .faults
        .cut_inbox_after
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let err = world
        .desk
        .sync(SyncOptions { page_size: 3 }, &())
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::RelayUnreachable(_)), "{err:?}");
    let store = world.desk.store();
    assert_eq!(
        store.case_count().await.unwrap(),
        3,
        "the first page is stored"
    );
    assert_eq!(proxy.acks().len(), 3, "and only its cases acknowledged");
    let cursor = store.cursor().await.unwrap();
    assert!(
        cursor.is_some(),
        "the cursor moved past the stored page only"
    );

    // The relay agrees: three acknowledged, four not.
    let inbox = world.relay_inbox(&world.relay.union.token).await;
    assert_eq!(inbox.entries.iter().filter(|e| e.acknowledged).count(), 3);

    // The next sync resumes after the stored page.
    proxy
        .faults
        .cut_inbox_after
        .store(0, std::sync::atomic::Ordering::SeqCst);
    let report = world
        .desk
        .sync(SyncOptions { page_size: 3 }, &())
        .await
        .unwrap();
    assert_eq!(report.stored, 4);
    assert_eq!(
        report.already_stored, 0,
        "resumed after the cursor, nothing re-read"
    );
    assert_eq!(store.case_count().await.unwrap(), 7);
    let inbox = world.relay_inbox(&world.relay.union.token).await;
    assert!(inbox.entries.iter().all(|e| e.acknowledged));
    let mut acked = proxy.acks();
    acked.sort();
    acked.dedup();
    assert_eq!(acked.len(), 7);

    // A full re-delivery (cursor forgotten) stores nothing twice.
    store.reset_cursor().await.unwrap();
    let report = world
        .desk
        .sync(SyncOptions { page_size: 3 }, &())
        .await
        .unwrap();
    assert_eq!((report.stored, report.already_stored), (0, 7));
    assert_eq!(store.case_count().await.unwrap(), 7);
    for s in &sent {
        let case = store.case(world.case_id(s).await).await.unwrap();
        assert_eq!(
            workvoice_desk::Desk::report_of(&case).unwrap().free_text,
            s.report.free_text
        );
    }
}

#[tokio::test]
async fn nothing_is_acknowledged_that_was_not_stored() {
    let proxy = Proxy::start().await;
    let world = World::with_relay_url(Some(&proxy)).await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(world.submit_sample(i).await);
    }
    // The disk "fills up" after two cases: every further insert fails.
    let pool = world.desk.store().pool();
    sqlx::query(
        "CREATE TRIGGER disk_full BEFORE INSERT ON cases WHEN (SELECT count(*) FROM cases) >= 2 \
         BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END",
    )
    .execute(pool)
    .await
    .unwrap();
    let err = world
        .desk
        .sync(SyncOptions { page_size: 2 }, &())
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::Database(_)), "{err:?}");
    let stored: Vec<String> = sqlx::query_scalar("SELECT report_id FROM cases ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    let mut acked = proxy.acks();
    acked.sort();
    let mut expected = stored.clone();
    expected.sort();
    assert_eq!(
        acked, expected,
        "exactly the stored cases were acknowledged"
    );
    let inbox = world.relay_inbox(&world.relay.union.token).await;
    for e in &inbox.entries {
        assert_eq!(
            e.acknowledged,
            stored.contains(&e.report_id.to_hex()),
            "{}",
            e.report_id
        );
    }

    // Space comes back: the next sync stores and acknowledges the rest.
    sqlx::query("DROP TRIGGER disk_full")
        .execute(pool)
        .await
        .unwrap();
    let report = world
        .desk
        .sync(SyncOptions { page_size: 2 }, &())
        .await
        .unwrap();
    assert_eq!(report.stored, 3);
    assert_eq!(world.desk.store().case_count().await.unwrap(), 5);
    let inbox = world.relay_inbox(&world.relay.union.token).await;
    assert!(inbox.entries.iter().all(|e| e.acknowledged));
}
