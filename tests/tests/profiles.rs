//! A profile that cannot work is refused when it is saved (issue 36.5), on the emulator over
//! HTTP: a webhook secret outside the prefix delivery may read, or one that does not exist, is a
//! problem naming the secret and where to create it, and nothing is stored.

use adapters::secrets::FileSecrets;
use adapters::store::notifications::NotificationStore;
use cpindex::profile::WebhookPolicy;
use cpindex::{FixedClock, OrgCode, Retention};
use integration_tests::fixtures::{LEEDS, OPERATOR};
use integration_tests::http::{call, request};
use integration_tests::Emulator;
use proptest::strategy::{Strategy, ValueTree};
use serde_json::json;

const PREFIX: &str = "cpindex/webhook/";

fn body(secret_ref: &str) -> serde_json::Value {
    json!({"name": "Leeds City Council", "team": "Children's Front Door",
        "emergencyDutyPhone": "0113 535 0600",
        "webhook": {"url": "https://alerts.leeds.gov.uk/cpis", "secretRef": secret_ref}})
}

/// References whose secret's name is outside the prefix: plain names, ARNs and shared-secret
/// entries, generated.
fn outside_the_prefix(n: usize) -> Vec<String> {
    let name = "[a-z0-9/_.-]{1,24}".prop_filter("outside the prefix", |s| !s.starts_with(PREFIX));
    let reference = (name, 0..3usize).prop_map(|(name, form)| match form {
        0 => name,
        1 => format!("arn:aws:secretsmanager:eu-west-2:111122223333:secret:{name}"),
        _ => format!("{name}#E08000035"),
    });
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut out: Vec<String> = (0..n)
        .map(|_| reference.new_tree(&mut runner).unwrap().current())
        .collect();
    // The boundary: the prefix's own characters without its final slash.
    out.push("cpindex/webhookE08000035".into());
    out
}

#[tokio::test]
async fn a_webhook_secret_delivery_cannot_read_or_that_does_not_exist_is_refused_and_nothing_stored(
) {
    let emu = Emulator::connect();
    let table = emu.bare_table().await;
    let dir =
        std::env::temp_dir().join(format!("cpindex-secrets-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let inbox = inbox::router(
        inbox::App::new(
            table.clone(),
            Retention::default(),
            FixedClock::at(chrono::Utc::now()),
            WebhookPolicy::LocalHttpAllowed,
        )
        .checking_webhook_secrets(FileSecrets(dir.clone()), PREFIX),
    );
    let store = NotificationStore::new(table.clone());
    let leeds = OrgCode::parse(LEEDS).unwrap();
    let put = |reference: String| {
        let inbox = inbox.clone();
        async move {
            call(
                &inbox,
                request(
                    "PUT",
                    &format!("/v1/la-profiles/{LEEDS}"),
                    OPERATOR,
                    Some(&body(&reference)),
                ),
            )
            .await
        }
    };

    for reference in outside_the_prefix(24) {
        let a = put(reference.clone()).await;
        assert_eq!(a.status, 400, "{reference}: {a:?}");
        assert_eq!(a.body["code"], "invalid_webhook", "{reference}");
        assert_eq!(a.body["field"], "/webhook/secretRef", "{reference}");
        assert!(a.body["detail"].as_str().unwrap().contains(PREFIX), "{a:?}");
        assert_eq!(
            store.profile(&leeds).await.unwrap(),
            None,
            "{reference}: nothing stored"
        );
    }

    // Under the prefix, but not created yet: the problem names it and the file to create.
    let reference = format!("{PREFIX}{LEEDS}");
    let a = put(reference.clone()).await;
    assert_eq!(a.status, 400, "{a:?}");
    assert_eq!(a.body["code"], "invalid_webhook");
    let detail = a.body["detail"].as_str().unwrap();
    let file = FileSecrets(dir.clone()).path_of(&reference);
    assert!(detail.contains(&reference), "{detail}");
    assert!(detail.contains(&file.display().to_string()), "{detail}");
    assert_eq!(store.profile(&leeds).await.unwrap(), None);

    // Created: saved; and an entry of a shared secret that exists.
    std::fs::write(&file, "a-signing-secret").unwrap();
    assert_eq!(put(reference.clone()).await.status, 200);
    let saved = store.profile(&leeds).await.unwrap().unwrap();
    assert_eq!(saved.webhook.unwrap().secret_ref, reference);
    let shared = format!("{PREFIX}all");
    std::fs::write(
        FileSecrets(dir.clone()).path_of(&shared),
        json!({LEEDS: "k"}).to_string(),
    )
    .unwrap();
    assert_eq!(put(format!("{shared}#{LEEDS}")).await.status, 200);
    let _ = std::fs::remove_dir_all(&dir);
}
