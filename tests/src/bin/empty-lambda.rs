//! The baseline for cold starts: an empty `lambda_runtime` function (it answers with its event),
//! built with the same release profile as ours, so `init_ratio_max` compares like with like.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(lambda_runtime::service_fn(
        |event: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            Ok::<_, lambda_runtime::Error>(event.payload)
        },
    ))
    .await
}
