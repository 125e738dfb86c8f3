//! DynamoDB capacity units a request consumes, computed from the items it carries or returns by
//! DynamoDB's published rules: the emulator does not report consumed capacity, and an estimate
//! on paper is what the cost benchmark replaces. Item sizes are counted by the store's own
//! `size::item_size`, the same count every write is checked against.
//!
//! Rules (on-demand): a write is 1 unit per KB of the item, rounded up; a transactional write
//! twice that; an eventually consistent read is half a unit per 4 KB, a strongly consistent one a
//! whole unit; a query or scan page sums the items it read before rounding; every request costs
//! at least one unit of its kind; a write to an item the index (`gsi1`, all attributes
//! projected) holds is paid again for the index's copy. Where the rule needs a size the request
//! does not show (the old item an update or delete replaces), one unit is counted: our updates
//! and deletes touch small items.

use adapters::store::error::Item;
use adapters::store::size::item_size;
use aws_sdk_dynamodb::operation::{
    batch_get_item::{BatchGetItemInput, BatchGetItemOutput},
    batch_write_item::BatchWriteItemInput,
    delete_item::DeleteItemInput,
    get_item::{GetItemInput, GetItemOutput},
    put_item::PutItemInput,
    query::{QueryInput, QueryOutput},
    scan::{ScanInput, ScanOutput},
    transact_write_items::TransactWriteItemsInput,
    update_item::UpdateItemInput,
};
use aws_smithy_runtime_api::client::interceptors::context::{Input, Output};
use cpindex::keys::attr;

const WRITE_UNIT_BYTES: usize = 1024;
const READ_UNIT_BYTES: usize = 4096;

fn units(bytes: usize, per: usize) -> f64 {
    bytes.div_ceil(per).max(1) as f64
}

fn write_units(item: &Item) -> f64 {
    let copies = if item.contains_key(attr::GSI1_PK) {
        2.0
    } else {
        1.0
    };
    copies * units(item_size(item), WRITE_UNIT_BYTES)
}

/// An update or delete: one unit, and one more when it touches the index's key.
fn small_write_units(names: Option<&std::collections::HashMap<String, String>>) -> f64 {
    let touches_index = names.is_some_and(|n| n.values().any(|v| v == attr::GSI1_PK));
    if touches_index {
        2.0
    } else {
        1.0
    }
}

fn read_factor(consistent: Option<bool>) -> f64 {
    if consistent == Some(true) {
        1.0
    } else {
        0.5
    }
}

/// What a request will consume that its input alone decides: write units, and whether its
/// reads are strongly consistent (a read's units need the output too).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Planned {
    pub write_units: f64,
    pub read_factor: f64,
}

/// The part of a request's consumption its input decides (writes; the read factor).
pub fn planned(input: &Input) -> Planned {
    let reads = |c: Option<bool>| Planned {
        write_units: 0.0,
        read_factor: read_factor(c),
    };
    let writes = |w: f64| Planned {
        write_units: w,
        read_factor: 0.0,
    };
    if let Some(i) = input.downcast_ref::<PutItemInput>() {
        return writes(i.item().map_or(1.0, write_units));
    }
    if let Some(i) = input.downcast_ref::<UpdateItemInput>() {
        return writes(small_write_units(i.expression_attribute_names()));
    }
    if input.downcast_ref::<DeleteItemInput>().is_some() {
        return writes(1.0);
    }
    if let Some(i) = input.downcast_ref::<BatchWriteItemInput>() {
        let w = i
            .request_items()
            .into_iter()
            .flat_map(|m| m.values())
            .flatten()
            .map(|r| r.put_request().map_or(1.0, |p| write_units(p.item())))
            .sum();
        return writes(w);
    }
    if let Some(i) = input.downcast_ref::<TransactWriteItemsInput>() {
        let w: f64 = i
            .transact_items()
            .iter()
            .map(|t| t.put().map_or(1.0, |p| write_units(p.item())))
            .sum();
        return writes(2.0 * w);
    }
    if let Some(i) = input.downcast_ref::<GetItemInput>() {
        return reads(i.consistent_read());
    }
    if let Some(i) = input.downcast_ref::<QueryInput>() {
        return reads(i.consistent_read());
    }
    if let Some(i) = input.downcast_ref::<ScanInput>() {
        return reads(i.consistent_read());
    }
    if let Some(i) = input.downcast_ref::<BatchGetItemInput>() {
        let strong = i
            .request_items()
            .into_iter()
            .flat_map(|m| m.values())
            .any(|k| k.consistent_read() == Some(true));
        return reads(Some(strong));
    }
    Planned::default()
}

/// Read units of a completed request, from the items it returned.
pub fn read_units(output: &Output, factor: f64) -> f64 {
    if let Some(o) = output.downcast_ref::<GetItemOutput>() {
        return factor
            * o.item()
                .map_or(1.0, |i| units(item_size(i), READ_UNIT_BYTES));
    }
    let page = |items: &[Item]| factor * units(items.iter().map(item_size).sum(), READ_UNIT_BYTES);
    if let Some(o) = output.downcast_ref::<QueryOutput>() {
        return page(o.items());
    }
    if let Some(o) = output.downcast_ref::<ScanOutput>() {
        return page(o.items());
    }
    if let Some(o) = output.downcast_ref::<BatchGetItemOutput>() {
        let per_item: f64 = o
            .responses()
            .into_iter()
            .flat_map(|m| m.values())
            .flatten()
            .map(|i| units(item_size(i), READ_UNIT_BYTES))
            .sum();
        return factor * per_item.max(1.0);
    }
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

    fn item(bytes: usize) -> Item {
        // "k" (1 byte of name) plus a string value: bytes in all.
        Item::from([("k".to_owned(), AttributeValue::S("x".repeat(bytes - 1)))])
    }

    fn put(bytes: usize) -> Input {
        Input::erase(
            PutItemInput::builder()
                .table_name("t")
                .set_item(Some(item(bytes)))
                .build()
                .unwrap(),
        )
    }

    #[test]
    fn writes_round_up_per_kilobyte_and_transactions_cost_double() {
        assert_eq!(planned(&put(10)).write_units, 1.0);
        assert_eq!(planned(&put(1024)).write_units, 1.0);
        assert_eq!(planned(&put(1025)).write_units, 2.0);
        assert_eq!(planned(&put(3 * 1024 + 1)).write_units, 4.0);
        // The index's copy is paid too.
        let mut indexed = item(10);
        indexed.insert(attr::GSI1_PK.into(), AttributeValue::S("p".into()));
        let indexed = PutItemInput::builder()
            .table_name("t")
            .set_item(Some(indexed))
            .build()
            .unwrap();
        assert_eq!(planned(&Input::erase(indexed)).write_units, 2.0);
        let t = TransactWriteItemsInput::builder()
            .transact_items(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name("t")
                            .set_item(Some(item(1500)))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name("t")
                            .set_item(Some(item(100)))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .build()
            .unwrap();
        assert_eq!(planned(&Input::erase(t)).write_units, 2.0 * (2.0 + 1.0));
    }

    #[test]
    fn a_query_page_rounds_its_total_and_eventual_reads_cost_half() {
        let q = |consistent| {
            Input::erase(
                QueryInput::builder()
                    .table_name("t")
                    .set_consistent_read(consistent)
                    .build()
                    .unwrap(),
            )
        };
        let eventual = planned(&q(None)).read_factor;
        let strong = planned(&q(Some(true))).read_factor;
        assert_eq!((eventual, strong), (0.5, 1.0));
        // Three items of 2 KB: 6 KB in all, two 4 KB units (not three).
        let out = Output::erase(
            QueryOutput::builder()
                .set_items(Some(vec![item(2048), item(2048), item(2048)]))
                .build(),
        );
        assert_eq!(read_units(&out, strong), 2.0);
        assert_eq!(read_units(&out, eventual), 1.0);
        // An empty page still costs the minimum.
        let empty = Output::erase(QueryOutput::builder().build());
        assert_eq!(read_units(&empty, strong), 1.0);
        // A get of a missing item too.
        let miss = Output::erase(GetItemOutput::builder().build());
        assert_eq!(read_units(&miss, eventual), 0.5);
    }
}
