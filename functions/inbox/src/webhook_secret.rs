//! A profile that cannot work is refused when it is saved: its webhook's signing secret must be
//! one delivery may read (under the deployment's prefix) and must exist. Otherwise every alert to
//! the LA would fail at delivery, six attempts later, into the dead letters.

use std::sync::Arc;

use adapters::secrets::SecretDirectory;
use cpindex::problem::{ErrorCode, Problem};

/// Where delivery may read signing secrets, and the directory that says whether one exists.
#[derive(Clone)]
pub struct SecretCheck {
    pub directory: Arc<dyn SecretDirectory>,
    /// The name prefix delivery's role may read (`WebhookSecretPrefix`).
    pub prefix: String,
}

/// The secret's name in `reference`: before any `#entry`, and after `:secret:` in an ARN.
pub fn secret_name(reference: &str) -> &str {
    let id = secret_id(reference);
    id.split_once(":secret:").map_or(id, |(_, name)| name)
}

/// The secret `reference` names (before any `#entry`), as the directory is asked about it.
fn secret_id(reference: &str) -> &str {
    reference.split_once('#').map_or(reference, |(id, _)| id)
}

fn refused(detail: String) -> Problem {
    Problem::new(ErrorCode::InvalidWebhook)
        .field("/webhook/secretRef")
        .detail(detail)
}

impl SecretCheck {
    /// `Ok(())` when delivery can sign with the secret `reference` names; otherwise the problem
    /// that says why and what to do.
    pub async fn check(&self, reference: &str) -> Result<(), Problem> {
        let name = secret_name(reference);
        if !name.starts_with(&self.prefix) {
            return Err(refused(format!(
                "delivery may read only the secrets named {}…; `{name}` is outside it, so every \
                 alert to this LA would fail. Keep the LA's signing secret under that prefix",
                self.prefix
            )));
        }
        let id = secret_id(reference);
        match self.directory.exists(id).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(refused(format!(
                "no secret `{id}` exists: create it first ({}), then save the profile",
                self.directory.place(id)
            ))),
            Err(e) => {
                tracing::error!(error = %cpindex::log::chain(&e), "a webhook secret could not be checked");
                Err(Problem::new(ErrorCode::StoreUnavailable)
                    .detail("the webhook's secret could not be checked; try again"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_is_read_from_names_entries_and_arns() {
        for (reference, name) in [
            ("cpindex/webhook/E08000035", "cpindex/webhook/E08000035"),
            ("cpindex/webhook/all#E08000035", "cpindex/webhook/all"),
            (
                "arn:aws:secretsmanager:eu-west-2:111122223333:secret:cpindex/webhook/E08-AbC123",
                "cpindex/webhook/E08-AbC123",
            ),
            (
                "arn:aws:secretsmanager:eu-west-2:111122223333:secret:other/x#E08000035",
                "other/x",
            ),
        ] {
            assert_eq!(secret_name(reference), name, "{reference}");
        }
    }
}
