//! The local stack's router served in-process on 127.0.0.1:<random port> over the emulator, as
//! `make dev` serves it: its issuers live at that address, so tokens are minted for it.

use std::path::Path;

use local_stack::auth::LocalAuth;
use local_stack::{bootstrap_resources, router, LocalSettings, Stack};

/// A served local stack: its address, its issuers' keys (for that address), its resources.
pub struct Served {
    pub url: String,
    pub auth: LocalAuth,
    pub stack: Stack,
}

/// Serves the local stack's router; with `consumers`, the alert consumers run too, as `make dev`
/// runs them (lookups turn into LA notifications). The stacks share the local resource names:
/// one test at a time per binary when consumers run (a consumer stopped with its test would
/// hold a message invisible for minutes).
pub async fn serve(state_dir: &Path, consumers: bool) -> Served {
    let settings = LocalSettings {
        port: 0,
        emulator_url: crate::emulator_url(),
        state_dir: state_dir.to_owned(),
    };
    let stack = bootstrap_resources(&settings)
        .await
        .unwrap_or_else(|e| panic!("is the emulator running at {}? {e}", crate::emulator_url()));
    if consumers {
        tokio::spawn(local_stack::consumers::run(
            stack.clone(),
            cpindex::Retention::default(),
            1,
        ));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let auth = LocalAuth::load_or_create(state_dir)
        .expect("local keys")
        .at_origin(&url);
    let app = router(
        stack.clone(),
        auth.clone(),
        cpindex::Retention::default(),
        &url,
    );
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    Served { url, auth, stack }
}
