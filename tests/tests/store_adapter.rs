//! The DynamoDB adapter against the emulator, over the real SDK.

use std::collections::HashMap;

use adapters::store::{Condition, Index, Item, QueryOptions, StoreError, MAX_BATCH_WRITE};
use aws_sdk_dynamodb::types::AttributeValue;
use cpindex::keys::attr;
use integration_tests::{unreachable_store, Emulator};

fn item(pk: &str, sk: &str, version: u64) -> Item {
    HashMap::from([
        (attr::PK.to_owned(), AttributeValue::S(pk.into())),
        (attr::SK.to_owned(), AttributeValue::S(sk.into())),
        ("v".to_owned(), AttributeValue::N(version.to_string())),
    ])
}

fn version_of(item: &Item) -> u64 {
    item["v"].as_n().unwrap().parse().unwrap()
}

#[tokio::test]
async fn conditional_write_conflict_is_a_typed_error_carrying_the_current_item() {
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    table
        .put(
            item("P", "S", 5),
            Some(Condition::newer_than_stored("v", 5)),
        )
        .await
        .unwrap();

    let err = table
        .put(
            item("P", "S", 4),
            Some(Condition::newer_than_stored("v", 4)),
        )
        .await
        .unwrap_err();

    match err {
        StoreError::ConditionFailed {
            current: Some(current),
        } => assert_eq!(version_of(&current), 5),
        other => panic!("expected ConditionFailed with the current item, got {other:?}"),
    }
    let stored = table.get("P", "S", true).await.unwrap().unwrap();
    assert_eq!(version_of(&stored), 5, "the older write changed nothing");
}

#[tokio::test]
async fn a_newer_write_wins_and_returns_the_replaced_item() {
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    assert!(table
        .put(item("P", "S", 1), Some(Condition::not_exists()))
        .await
        .unwrap()
        .is_none());
    let old = table
        .put(
            item("P", "S", 2),
            Some(Condition::newer_than_stored("v", 2)),
        )
        .await
        .unwrap();
    assert_eq!(old.map(|o| version_of(&o)), Some(1));
    assert!(matches!(
        table
            .put(item("P", "S", 9), Some(Condition::not_exists()))
            .await,
        Err(StoreError::ConditionFailed { .. })
    ));
}

#[tokio::test]
async fn a_cancelled_transaction_names_the_failing_item_and_writes_nothing() {
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    table.put(item("B", "S", 7), None).await.unwrap();

    let ops = vec![
        table
            .transact_put(item("A", "S", 1), Some(Condition::not_exists()))
            .unwrap(),
        table
            .transact_put(item("B", "S", 1), Some(Condition::not_exists()))
            .unwrap(),
        table
            .transact_put(item("C", "S", 1), Some(Condition::not_exists()))
            .unwrap(),
    ];
    let err = table.transact(ops).await.unwrap_err();

    match err {
        StoreError::TransactionCancelled { reasons } => {
            assert_eq!(reasons.len(), 1, "{reasons:?}");
            assert_eq!(reasons[0].index, 1);
            assert_eq!(reasons[0].code, "ConditionalCheckFailed");
        }
        other => panic!("expected TransactionCancelled, got {other:?}"),
    }
    assert!(
        table.get("A", "S", true).await.unwrap().is_none(),
        "all or nothing"
    );
    assert!(
        table.get("C", "S", true).await.unwrap().is_none(),
        "all or nothing"
    );
    assert_eq!(
        version_of(&table.get("B", "S", true).await.unwrap().unwrap()),
        7
    );
}

#[tokio::test]
async fn batch_writes_are_chunked_at_25_and_a_larger_chunk_is_refused_by_our_code() {
    let emu = Emulator::connect();
    let table = emu.bare_table().await;

    let items: Vec<Item> = (0..60)
        .map(|i| item("BATCH", &format!("{i:03}"), 1))
        .collect();
    let calls = table.batch_put(items).await.unwrap();
    assert_eq!(calls, 3, "60 items need three calls of at most 25");
    assert_eq!(emu.scan_all(&table).await.len(), 60);

    // The emulator would accept 26; our adapter must not send them.
    let too_many: Vec<_> = (0..=MAX_BATCH_WRITE)
        .map(|i| {
            aws_sdk_dynamodb::types::WriteRequest::builder()
                .put_request(
                    aws_sdk_dynamodb::types::PutRequest::builder()
                        .set_item(Some(item("OVER", &i.to_string(), 1)))
                        .build()
                        .unwrap(),
                )
                .build()
        })
        .collect();
    assert!(matches!(
        table.batch_write_chunk(too_many).await,
        Err(StoreError::Limit(_))
    ));
    let over = table
        .query(Index::Table, "OVER", None, QueryOptions::default())
        .await
        .unwrap();
    assert!(over.is_empty(), "a refused batch writes nothing");
}

#[tokio::test]
async fn query_follows_every_page_in_order() {
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    let items: Vec<Item> = (0..37)
        .map(|i| item("Q", &format!("X#{i:03}"), i))
        .collect();
    table.batch_put(items).await.unwrap();
    table.put(item("Q", "Y#other", 0), None).await.unwrap();

    let opts = QueryOptions {
        page_size: Some(10),
        ..QueryOptions::default()
    };
    let all = table
        .query(Index::Table, "Q", Some("X#"), opts)
        .await
        .unwrap();
    let versions: Vec<u64> = all.iter().map(version_of).collect();
    assert_eq!(
        versions,
        (0..37).collect::<Vec<_>>(),
        "four pages of ten, all of them, in order"
    );

    let newest = table
        .query(
            Index::Table,
            "Q",
            Some("X#"),
            QueryOptions {
                ascending: false,
                limit: Some(5),
                page_size: Some(2),
                ..opts
            },
        )
        .await
        .unwrap();
    assert_eq!(
        newest.iter().map(version_of).collect::<Vec<_>>(),
        vec![36, 35, 34, 33, 32]
    );

    let (page, next) = table
        .query_page(Index::Table, "Q", Some("X#"), opts, Some(30), None)
        .await
        .unwrap();
    assert_eq!(page.len(), 30);
    let (rest, end) = table
        .query_page(Index::Table, "Q", Some("X#"), opts, Some(30), next)
        .await
        .unwrap();
    assert_eq!(rest.len(), 7);
    assert!(end.is_none());
}

#[tokio::test]
async fn gsi1_lists_by_organisation() {
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    for (i, org) in ["A", "A", "B"].iter().enumerate() {
        let mut it = item(&format!("P{i}"), "CURRENT", 1);
        it.insert(
            attr::GSI1_PK.into(),
            AttributeValue::S(format!("ORG#{org}")),
        );
        it.insert(attr::GSI1_SK.into(), AttributeValue::S(format!("{i}")));
        table.put(it, None).await.unwrap();
    }
    let a = table
        .query(Index::Gsi1, "ORG#A", None, QueryOptions::default())
        .await
        .unwrap();
    assert_eq!(a.len(), 2);
}

#[tokio::test]
async fn an_unreachable_store_is_reported_as_unavailable_not_empty() {
    let emu = unreachable_store();
    let table = adapters::store::Table::new(emu.dynamo.clone(), "anything");
    let err = table
        .query(Index::Table, "P", None, QueryOptions::default())
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    let err = table.put(item("P", "S", 1), None).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)));
}

/// An access item holds neither the child, nor the time, nor the id: its keys do. Every kind of
/// access (visit, attendance copy, silent read, refusal, history read, missed appointment), at
/// generated times, reads back whole through every reader.
#[tokio::test]
async fn an_access_is_stored_without_what_its_keys_say_and_reads_back_whole() {
    use adapters::store::access::{AccessStore, Trail, Window};
    use cpindex::access::{Access, AccessOutcome};
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    let store = AccessStore::new(table.clone());
    let child = integration_tests::child_key(&cpindex::NhsNumber::parse("9434765919").unwrap());
    let base: chrono::DateTime<chrono::Utc> = "2026-12-06T10:00:00Z".parse().unwrap();
    let mut written = Vec::new();
    let outcomes = [
        ("unscheduled_care", AccessOutcome::Allowed),
        ("scheduled_care", AccessOutcome::SilentRead),
        ("local_authority", AccessOutcome::DeniedRole),
        ("operator", AccessOutcome::HistoryRead),
        ("unscheduled_care", AccessOutcome::Allowed),
    ];
    for (i, (role, outcome)) in outcomes.into_iter().enumerate() {
        let claims = cpindex::Claims::from_lookup(|k| match k {
            "org" => Some("RR801"),
            "role" => Some(role),
            "sub" => Some("user-1"),
            _ => None,
        })
        .unwrap();
        // Times with sub-millisecond parts: an access keeps its time to the millisecond.
        let at = base + chrono::Duration::nanoseconds(1_234_567 * (i as i64 + 1) * 7919);
        let access = Access::new(&claims, child.clone(), at, outcome);
        assert_eq!(access.at.timestamp_subsec_nanos() % 1_000_000, 0);
        if i == 0 {
            store.record(&access).await.unwrap();
        } else if i == 4 {
            store.record_unqueued(&access).await.unwrap();
            store.record_attendance(&access).await.unwrap();
        } else {
            store.record(&access).await.unwrap();
        }
        written.push(access);
    }
    let accesses: Vec<_> = emu
        .scan_all(&table)
        .await
        .into_iter()
        .filter(|i| {
            i.get(attr::ENTITY)
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some("access")
        })
        .collect();
    assert_eq!(accesses.len(), 6, "five accesses and an attendance copy");
    for item in accesses {
        for name in ["child", "at", "accessId"] {
            assert!(!item.contains_key(name), "{name} stored: {item:?}");
        }
        // A visit's role and outcome are what makes it a visit.
        let visit = item[cpindex::keys::attr::SK]
            .as_s()
            .unwrap()
            .starts_with(cpindex::keys::key::VISIT_PREFIX);
        assert_eq!(item.contains_key("role"), !visit, "{item:?}");
        assert_eq!(item.contains_key("outcome"), !visit, "{item:?}");
    }
    let page = store
        .history_page(
            &[Window {
                child: &child,
                from: None,
                to: base + chrono::Duration::hours(1),
            }],
            &[Trail::Visits, Trail::SilentReads, Trail::Audit],
            None,
            100,
        )
        .await
        .unwrap();
    let mut read: Vec<Access> = page.accesses.into_iter().map(|l| l.access).collect();
    read.sort_by_key(|a| a.at);
    assert_eq!(read, written);
    let visits = store.recent_visits(&child, 10).await.unwrap();
    assert_eq!(visits.len(), 2, "the attendance copy and its visit are one");
    assert!(visits.iter().all(|v| written.contains(v)));
    let pending = store
        .pending_before(base + chrono::Duration::hours(1), 10)
        .await
        .unwrap();
    assert_eq!(pending, vec![written[0].clone()]);
}
