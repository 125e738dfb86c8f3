//! The world each sample runs in.

use super::*;

pub(crate) fn clinician_access(id: &str, nhs: &str, at: DateTime<Utc>) -> Access {
    Access {
        access_id: id.to_owned(),
        child: integration_tests::child_key(&NhsNumber::parse(nhs).unwrap()),
        at,
        user: UserId::parse("dr-1907").unwrap(),
        role: Role::UnscheduledCare,
        org: org("RR801"),
        org_name: Some("Leeds General Infirmary ED".into()),
        setting_type: None,
        outcome: AccessOutcome::Allowed,
        aliases: Vec::new(),
        purpose: None,
        missed: None,
        request_id: None,
        correlation_id: None,
    }
}

pub(crate) fn budget() -> Budget {
    Budget {
        deadline: Instant::now() + StdDuration::from_secs(60),
        max_pages: None,
    }
}

pub(crate) struct World {
    /// Sees every request of the world's clients: what a handler issued, to compare with the
    /// IAM actions its function is granted.
    pub(crate) recorder: IoRecorder,
    pub(crate) emu: Emulator,
    pub(crate) table: Table,
    pub(crate) fanout: QueueUrls,
    pub(crate) delivery: QueueUrls,
    pub(crate) secrets_dir: PathBuf,
}

impl World {
    /// A fresh table and queues, seeded.
    pub(crate) async fn new() -> Self {
        let recorder = IoRecorder::default();
        let emu = Emulator::recorded(&recorder);
        // The two LAs of the samples, and no other.
        let table = emu.bare_table().await;
        let profiles = adapters::store::notifications::NotificationStore::new(table.clone());
        for org in [LEEDS, CAMDEN] {
            profiles
                .put_profile(&integration_tests::fixtures::profile(org))
                .await
                .unwrap();
        }
        let (_, fanout) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
        let (_, delivery) = emu.fresh_queue(&ALERT_DELIVERY_QUEUE).await;
        let world = World {
            recorder,
            secrets_dir: std::env::temp_dir().join("cpindex-events-no-secrets"),
            emu,
            table,
            fanout,
            delivery,
        };
        world.seed().await;
        world
    }

    pub(crate) async fn seed(&self) {
        // The plans were recorded the day before the seeded visit (an LA sees only accesses
        // made while its plan was held).
        let retention = Retention::default();
        let upsert = plan_upsert::router(plan_upsert::App::new(
            self.table.clone(),
            integration_tests::child_keys(),
            retention,
            FixedClock::at(now() - Duration::days(1)),
        ));
        for (code, record) in [
            (
                LEEDS,
                json!({"planRef": "CP-2026-0001", "nhsNumber": CHILD, "planType": "CPP",
                    "startDate": "2026-01-10", "sourceVersion": 3}),
            ),
            (
                CAMDEN,
                json!({"planRef": "UCPP-2026-0009", "nhsNumber": MOTHER, "planType": "UCPP",
                    "startDate": "2026-09-01", "expectedDueDate": "2027-01-15", "sourceVersion": 1}),
            ),
        ] {
            let body = json!({"mode": "delta", "records": [record]});
            let ack = call(
                &upsert,
                request(
                    "POST",
                    routes::PLAN_BATCHES_PATH,
                    Some(("local_authority", code, "seed")),
                    Some(&body),
                ),
            )
            .await;
            assert_eq!(ack.body["fileOutcome"], "all_loaded", "seeding: {ack:?}");
        }
        let profile = json!({"name": "Leeds City Council", "team": "Children's Front Door",
            "officeHoursPhone": "0113 222 4403", "emergencyDutyPhone": "0113 535 0600"});
        let inbox = self.router(routes::INBOX).unwrap();
        let answer = call(
            &inbox,
            request(
                "PUT",
                &format!("/v1/la-profiles/{LEEDS}"),
                OPERATOR,
                Some(&profile),
            ),
        )
        .await;
        assert_eq!(answer.status, 200, "seeding: {answer:?}");
        let visit = clinician_access(SEEDED_ACCESS, CHILD, now() - Duration::minutes(30));
        self.fanout()
            .fan_out(&visit, now() - Duration::minutes(30))
            .await
            .expect("seeding: fan-out");
        self.drain(&self.delivery.queue).await;
    }

    pub(crate) async fn prepare(&self, preps: &[Prep]) {
        if preps.contains(&Prep::DeadLettered) {
            let id = seeded_notification();
            let failed = self
                .notifications()
                .finish(
                    &id,
                    DeliveryStatus::Failed,
                    now(),
                    ALERT_DELIVERY_QUEUE.max_receive_count,
                    Some("503"),
                )
                .await
                .unwrap();
            assert!(failed, "the seeded notification was pending");
            SqsQueue::new(self.emu.sqs.clone(), &self.delivery.dlq)
                .send(json!({"notificationId": id}).to_string())
                .await
                .unwrap();
        }
        if preps.contains(&Prep::PendingAccess) {
            let stuck = clinician_access(PENDING_ACCESS, CHILD, now() - Duration::minutes(10));
            AccessStore::new(self.table.clone())
                .record(&stuck)
                .await
                .unwrap();
        }
        if preps.contains(&Prep::Reconciled) {
            let outcome = self.reconciler().run(budget()).await.unwrap();
            assert!(outcome.complete, "{outcome:?}");
        }
    }

    pub(crate) fn notifications(&self) -> NotificationStore {
        NotificationStore::new(self.table.clone())
    }

    /// The router of an HTTP function, wired as its `main.rs` wires it (over this world): the
    /// functions that read claims trust the issuer and audience the samples carry.
    pub(crate) fn router(&self, f: FunctionDef) -> Option<Router> {
        let retention = Retention::default();
        let table = self.table.clone();
        let trusted = |router: Router| {
            adapters::edge::trusting(router, integration_tests::artefacts::sample_issuers())
        };
        if f == routes::PLAN_UPSERT {
            Some(trusted(plan_upsert::router(plan_upsert::App::new(
                table,
                integration_tests::child_keys(),
                retention,
                clock(),
            ))))
        } else if f == routes::LOOKUP {
            Some(trusted(lookup::router(lookup::App::new(
                table,
                SqsQueue::new(self.emu.sqs.clone(), &self.fanout.queue),
                integration_tests::child_keys(),
                retention,
                clock(),
            ))))
        } else if f == routes::INBOX {
            Some(trusted(inbox::router(inbox::App::new(
                table,
                retention,
                clock(),
                cpindex::profile::WebhookPolicy::PublicHttpsOnly,
            ))))
        } else if f == routes::REPORTS {
            Some(trusted(reports::router(reports::App::new(table, clock()))))
        } else if f == routes::OPS {
            Some(trusted(reconcile::ops::router(self.reconciler())))
        } else if f == routes::WEB {
            let cfg = web::WebConfig {
                providers: vec![web::SignIn {
                    id: "staff".into(),
                    label: web::SignIn::label(cpindex::claims::Provider::Staff).into(),
                    issuer: "https://idp.example.org/".into(),
                    client_id: "cpindex-web".into(),
                    authorize_url: "https://idp.example.org/authorize".into(),
                    token_url: "https://idp.example.org/token".into(),
                    scope: "openid".into(),
                }],
                local: false,
            };
            // The app as built; on a machine that built none (no Node), a stand-in of the two
            // files the samples ask for, so the routing and headers are still exercised.
            const STAND_IN: web::Assets = &[
                ("index.html", b"<!doctype html><title>stand-in</title>"),
                ("app.css", b"body{}"),
            ];
            Some(if web::APP_EMBEDDED {
                web::router(cfg)
            } else {
                web::router_with(cfg, STAND_IN)
            })
        } else {
            None
        }
    }

    pub(crate) fn fanout(&self) -> Fanout<SqsQueue, FixedClock> {
        let retention = Retention::default();
        Fanout::new(
            self.table.clone(),
            SqsQueue::new(self.emu.sqs.clone(), &self.delivery.queue),
            retention,
            clock(),
        )
    }

    pub(crate) fn delivery(
        &self,
    ) -> Delivery<DeliveryStores, FileSecrets, HttpWebhook, SqsVisibility, FixedClock> {
        Delivery {
            store: DeliveryStores::new(self.table.clone()),
            secrets: FileSecrets(self.secrets_dir.clone()),
            webhook: HttpWebhook::new(
                StdDuration::from_secs(2),
                cpindex::profile::WebhookPolicy::PublicHttpsOnly,
            ),
            visibility: SqsVisibility {
                client: self.emu.sqs.clone(),
                queue_url: self.delivery.queue.clone(),
            },
            clock: clock(),
            policy: RetryPolicy::default(),
            webhooks: cpindex::profile::WebhookPolicy::PublicHttpsOnly,
        }
    }

    pub(crate) fn reconciler(&self) -> Reconciler<FixedClock> {
        Reconciler::new(
            self.table.clone(),
            SqsQueue::new(self.emu.sqs.clone(), &self.fanout.queue),
            SqsQueue::new(self.emu.sqs.clone(), &self.delivery.queue),
            SqsQueue::new(self.emu.sqs.clone(), &self.delivery.dlq),
            Retention::default(),
            clock(),
        )
    }

    /// Messages waiting on a queue (received, not deleted: the world is thrown away after).
    pub(crate) async fn queued(&self, url: &str) -> usize {
        let mut n = 0;
        loop {
            let got = self.emu.receive(url).await;
            if got.is_empty() {
                return n;
            }
            n += got.len();
        }
    }

    pub(crate) async fn drain(&self, url: &str) {
        loop {
            let got = self.emu.receive(url).await;
            if got.is_empty() {
                return;
            }
            for m in got {
                self.emu
                    .sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle.unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        }
    }

    pub(crate) async fn after_problems(&self, sample: &str, after: &[After]) -> Vec<String> {
        let mut p = Vec::new();
        for a in after {
            match *a {
                After::FanoutQueued(want) | After::DeliveryQueued(want) => {
                    let (name, url) = match a {
                        After::FanoutQueued(_) => ("fan-out", &self.fanout.queue),
                        _ => ("delivery", &self.delivery.queue),
                    };
                    let got = self.queued(url).await;
                    if got != want {
                        p.push(format!(
                            "{sample}: {got} message(s) on the {name} queue afterwards, \
                             expected {want}"
                        ));
                    }
                }
                After::Notification(access, la, want) => {
                    let id = notification_id(access, &org(la));
                    let got = self.notifications().get(&id).await.unwrap();
                    let status = got.as_ref().map(|n| n.status);
                    if status != Some(want) {
                        p.push(format!(
                            "{sample}: notification of access {access} to {la} is {status:?} \
                             afterwards, expected {want:?}"
                        ));
                    }
                }
            }
        }
        p
    }
}
