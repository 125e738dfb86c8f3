//! The narrow ports delivery needs: the notification and profile, the secret, the webhook call,
//! and the message's visibility (back-off).

use std::sync::Arc;
use std::time::Duration;

use adapters::store::indicators::IndicatorStore;
use adapters::store::notifications::NotificationStore;
use adapters::store::{BoxError, StoreError, Table};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cpindex::indicators::{Counter, IsoWeek};
use cpindex::notification::{DeliveryStatus, Notification};
use cpindex::profile::{LaProfile, WebhookPolicy};
use cpindex::OrgCode;

/// Store operations of delivery.
#[async_trait]
pub trait DeliveryStore: Send + Sync + 'static {
    async fn notification(&self, id: &str) -> Result<Option<Notification>, StoreError>;
    async fn profile(&self, la: &OrgCode) -> Result<Option<LaProfile>, StoreError>;
    async fn finish(
        &self,
        id: &str,
        status: DeliveryStatus,
        at: DateTime<Utc>,
        attempts: u32,
        error: Option<&str>,
    ) -> Result<bool, StoreError>;
    async fn attempt_failed(&self, id: &str, attempts: u32, error: &str) -> Result<(), StoreError>;
    /// Adds to the LA's indicator counts (a failure is logged, never returned).
    async fn count(&self, la: &OrgCode, week: IsoWeek, counters: &[(Counter, u64)]);
}

/// The DynamoDB adapters behind [`DeliveryStore`]: notifications and profiles, and the
/// indicator counts.
#[derive(Debug, Clone)]
pub struct DeliveryStores {
    notifications: NotificationStore,
    indicators: IndicatorStore,
}

impl DeliveryStores {
    pub fn new(table: Table) -> Self {
        Self {
            notifications: NotificationStore::new(table.clone()),
            indicators: IndicatorStore::new(table),
        }
    }
}

#[async_trait]
impl DeliveryStore for DeliveryStores {
    async fn notification(&self, id: &str) -> Result<Option<Notification>, StoreError> {
        self.notifications.get(id).await
    }

    async fn profile(&self, la: &OrgCode) -> Result<Option<LaProfile>, StoreError> {
        self.notifications.profile(la).await
    }

    async fn finish(
        &self,
        id: &str,
        status: DeliveryStatus,
        at: DateTime<Utc>,
        attempts: u32,
        error: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.notifications
            .finish(id, status, at, attempts, error)
            .await
    }

    async fn attempt_failed(&self, id: &str, attempts: u32, error: &str) -> Result<(), StoreError> {
        self.notifications.attempt_failed(id, attempts, error).await
    }

    async fn count(&self, la: &OrgCode, week: IsoWeek, counters: &[(Counter, u64)]) {
        self.indicators.add_or_log(la, week, counters).await
    }
}

/// A webhook call that did not end in a 2xx.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("http {0}")]
    Status(u16),
    #[error("timeout")]
    Timeout,
    #[error("connection failed")]
    Connect(#[source] BoxError),
    #[error("address refused")]
    Refused(String),
}

impl WebhookError {
    /// A short, stable description kept on the notification (no response bodies: they could hold anything).
    pub fn brief(&self) -> String {
        match self {
            WebhookError::Status(s) => format!("http {s}"),
            WebhookError::Timeout => "timeout".into(),
            WebhookError::Connect(_) => "connection failed".into(),
            WebhookError::Refused(why) => format!("refused: {why}"),
        }
    }
}

/// POSTs a signed body.
#[async_trait]
pub trait WebhookClient: Send + Sync + 'static {
    async fn post(
        &self,
        url: &str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Result<(), WebhookError>;
}

/// Looks a host name up (the system resolver in production; a scripted one in tests).
#[async_trait]
pub trait NameLookup: Send + Sync + 'static {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<std::net::IpAddr>>;
}

/// The system resolver.
#[derive(Debug, Clone, Copy)]
pub struct SystemLookup;

#[async_trait]
impl NameLookup for SystemLookup {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<std::net::IpAddr>> {
        Ok(tokio::net::lookup_host((host, 0))
            .await?
            .map(|a| a.ip())
            .collect())
    }
}

/// Why the guard refused a webhook's host.
#[derive(Debug, thiserror::Error)]
#[error("the webhook's host resolves to a non-public address")]
pub struct NonPublicAddress;

/// The HTTP client's only resolver outside local mode: it resolves once, refuses the name if any
/// answer is not a public address, and hands the client exactly the addresses it checked. The
/// client never resolves again, so an answer that changes between check and connect (DNS
/// rebinding) cannot lead it to a private address.
struct CheckedResolver<L>(Arc<L>);

impl<L: NameLookup> reqwest::dns::Resolve for CheckedResolver<L> {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let lookup = self.0.clone();
        Box::pin(async move {
            let ips = lookup.lookup(name.as_str()).await?;
            if ips.is_empty() || ips.iter().any(|ip| cpindex::profile::is_private(*ip)) {
                return Err(Box::new(NonPublicAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: reqwest::dns::Addrs =
                Box::new(ips.into_iter().map(|ip| std::net::SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// The real HTTP client: short timeout, no redirects (a redirect could lead anywhere), and
/// outside local mode only the checked resolver.
#[derive(Debug, Clone)]
pub struct HttpWebhook {
    client: reqwest::Client,
}

impl HttpWebhook {
    pub fn new(timeout: Duration, webhooks: WebhookPolicy) -> Self {
        Self::with_lookup(timeout, webhooks, SystemLookup)
    }

    /// As [`HttpWebhook::new`], resolving names with `lookup` (tests script the answers).
    pub fn with_lookup<L: NameLookup>(
        timeout: Duration,
        webhooks: WebhookPolicy,
        lookup: L,
    ) -> Self {
        // No proxy from the environment either: a proxy would resolve and connect for us,
        // past the checked resolver.
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none());
        if !webhooks.allows_local() {
            builder = builder.dns_resolver(Arc::new(CheckedResolver(Arc::new(lookup))));
        }
        let client = builder.build().expect("a TLS client can be built");
        Self { client }
    }
}

/// Whether a request failed because the guard refused the host.
fn refused_by_guard(e: &reqwest::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<NonPublicAddress>() {
            return true;
        }
        cause = c.source();
    }
    false
}

#[async_trait]
impl WebhookClient for HttpWebhook {
    async fn post(
        &self,
        url: &str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Result<(), WebhookError> {
        // The URL was checked when registered; the client's resolver checks what its name
        // resolves to now, and connects only there (SSRF guard, see CheckedResolver).
        let mut req = self.client.post(url).body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        match req.send().await {
            Ok(resp) if resp.status().is_success() => Ok(()),
            Ok(resp) => Err(WebhookError::Status(resp.status().as_u16())),
            Err(e) if e.is_timeout() => Err(WebhookError::Timeout),
            Err(e) if refused_by_guard(&e) => Err(WebhookError::Refused(
                "resolves to a non-public address".into(),
            )),
            Err(e) => Err(WebhookError::Connect(Box::new(e))),
        }
    }
}

/// Delays a message's next delivery (SQS ChangeMessageVisibility).
#[async_trait]
pub trait Visibility: Send + Sync + 'static {
    async fn delay(&self, receipt_handle: &str, seconds: u32) -> Result<(), BoxError>;
}

/// The delivery queue's visibility over SQS.
#[derive(Debug, Clone)]
pub struct SqsVisibility {
    pub client: aws_sdk_sqs::Client,
    pub queue_url: String,
}

#[async_trait]
impl Visibility for SqsVisibility {
    async fn delay(&self, receipt_handle: &str, seconds: u32) -> Result<(), BoxError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(i32::try_from(seconds).unwrap_or(i32::MAX))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| Box::new(e) as BoxError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Answers from a script, one answer per lookup, the last one repeated.
    struct Scripted {
        answers: Vec<Vec<IpAddr>>,
        calls: AtomicUsize,
    }

    #[async_trait]
    impl NameLookup for Scripted {
        async fn lookup(&self, _host: &str) -> std::io::Result<Vec<IpAddr>> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(self.answers[n.min(self.answers.len() - 1)].clone())
        }
    }

    /// A loopback listener counting the connections it accepts (what an attacker would reach).
    async fn loopback() -> (u16, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        tokio::spawn(async move {
            while let Ok((_s, _)) = listener.accept().await {
                h.fetch_add(1, Ordering::SeqCst);
            }
        });
        (port, hits)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[tokio::test]
    async fn a_name_answering_public_then_loopback_is_refused_and_loopback_never_reached() {
        let (port, hits) = loopback().await;
        let webhook = HttpWebhook::with_lookup(
            Duration::from_millis(500),
            WebhookPolicy::PublicHttpsOnly,
            Scripted {
                answers: vec![vec![ip("81.2.69.142"), ip("127.0.0.1")]],
                calls: AtomicUsize::new(0),
            },
        );
        let e = webhook
            .post(
                &format!("http://rebind.example.org:{port}/x"),
                vec![],
                b"{}".to_vec(),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, WebhookError::Refused(_)), "{e:?}");
        assert_eq!(hits.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_client_connects_only_where_the_guard_checked() {
        // A rebinding name: public at the check, loopback at any later lookup. The client must
        // not look it up again, so it never reaches the loopback listener.
        let (port, hits) = loopback().await;
        let lookup = Scripted {
            answers: vec![vec![ip("100.128.0.200")], vec![ip("127.0.0.1")]],
            calls: AtomicUsize::new(0),
        };
        let webhook = HttpWebhook::with_lookup(
            Duration::from_millis(300),
            WebhookPolicy::PublicHttpsOnly,
            lookup,
        );
        let e = webhook
            .post(
                &format!("http://rebind.example.org:{port}/x"),
                vec![],
                b"{}".to_vec(),
            )
            .await
            .unwrap_err();
        assert!(!matches!(e, WebhookError::Refused(_)), "{e:?}");
        assert_eq!(
            hits.load(Ordering::SeqCst),
            0,
            "never connected to loopback"
        );
    }

    #[tokio::test]
    async fn private_answers_of_every_kind_are_refused() {
        for bad in [
            "10.0.0.5",
            "::1",
            "64:ff9b::7f00:1",
            "::ffff:169.254.169.254",
            "100.64.1.1",
        ] {
            let webhook = HttpWebhook::with_lookup(
                Duration::from_millis(300),
                WebhookPolicy::PublicHttpsOnly,
                Scripted {
                    answers: vec![vec![ip(bad)]],
                    calls: AtomicUsize::new(0),
                },
            );
            let e = webhook
                .post("https://alerts.example.org/x", vec![], b"{}".to_vec())
                .await
                .unwrap_err();
            assert!(matches!(e, WebhookError::Refused(_)), "{bad}: {e:?}");
        }
    }
}
