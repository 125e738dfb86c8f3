//! `make dev`: creates the table and queues in the emulator and serves the API locally.

use std::net::SocketAddr;

use local_stack::{bootstrap_resources, router, LocalSettings};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let settings = LocalSettings::from_env()?;
    let stack = bootstrap_resources(&settings).await?;
    let addr = SocketAddr::from(([127, 0, 0, 1], settings.port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("local stack: API on http://{addr} (GET /health)");
    println!(
        "local stack: table {} and queue {} in the emulator at {}",
        stack.table, stack.fanout_queue, settings.emulator_url
    );
    axum::serve(listener, router(stack))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    println!("local stack: stopped");
    Ok(())
}
