//! Creates the table and queues from their one definition (the emulator; the template declares
//! the same for AWS, and a test checks they agree).

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::store::BoxError;
use cpindex::keys::{QueueDef, TableDef};

/// Bootstrap failures.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("creating table {table} failed")]
    Table {
        table: String,
        #[source]
        source: BoxError,
    },
    #[error("creating queue {queue} failed")]
    Queue {
        queue: String,
        #[source]
        source: BoxError,
    },
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .expect("name and type are set")
}

fn string_attr(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("name and type are set")
}

/// Creates the table (on-demand billing, GSIs, TTL) unless it exists already.
pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    def: &TableDef,
) -> Result<(), BootstrapError> {
    let err = |source: BoxError| BootstrapError::Table {
        table: name.to_owned(),
        source,
    };
    let mut attrs = vec![string_attr(def.partition_key), string_attr(def.sort_key)];
    let mut gsis = Vec::new();
    for g in def.gsis {
        attrs.push(string_attr(g.partition_key));
        attrs.push(string_attr(g.sort_key));
        gsis.push(
            GlobalSecondaryIndex::builder()
                .index_name(g.name)
                .key_schema(key(g.partition_key, KeyType::Hash))
                .key_schema(key(g.sort_key, KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(|e| err(Box::new(e)))?,
        );
    }
    let created = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attrs))
        .key_schema(key(def.partition_key, KeyType::Hash))
        .key_schema(key(def.sort_key, KeyType::Range))
        .set_global_secondary_indexes((!gsis.is_empty()).then_some(gsis))
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(e) if e.code() == Some("ResourceInUseException") => return Ok(()),
        Err(e) => return Err(err(Box::new(e))),
    }
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(def.ttl_attribute)
                .enabled(true)
                .build()
                .map_err(|e| err(Box::new(e)))?,
        )
        .send()
        .await
        .map_err(|e| err(Box::new(e)))?;
    Ok(())
}

/// URLs of a queue and its dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueUrls {
    pub queue: String,
    pub dlq: String,
}

/// Creates a queue with its DLQ and redrive policy (idempotent: same attributes, same URL).
pub async fn create_queue(
    client: &aws_sdk_sqs::Client,
    stack: &str,
    def: &QueueDef,
) -> Result<QueueUrls, BootstrapError> {
    let err = |queue: String, source: BoxError| BootstrapError::Queue { queue, source };
    let dlq_name = def.dlq_name(stack);
    let dlq = client
        .create_queue()
        .queue_name(&dlq_name)
        .attributes(
            QueueAttributeName::MessageRetentionPeriod,
            (def.dlq_retention_days * 86_400).to_string(),
        )
        .send()
        .await
        .map_err(|e| err(dlq_name.clone(), Box::new(e)))?
        .queue_url
        .unwrap_or_default();
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| err(dlq_name.clone(), Box::new(e)))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .unwrap_or_default();
    let name = def.name(stack);
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": def.max_receive_count,
    })
    .to_string();
    let attributes = HashMap::from([
        (
            QueueAttributeName::VisibilityTimeout,
            def.visibility_timeout_s.to_string(),
        ),
        (QueueAttributeName::RedrivePolicy, redrive),
    ]);
    let queue = client
        .create_queue()
        .queue_name(&name)
        .set_attributes(Some(attributes))
        .send()
        .await
        .map_err(|e| err(name.clone(), Box::new(e)))?
        .queue_url
        .unwrap_or_default();
    Ok(QueueUrls { queue, dlq })
}
