//! DynamoDB's 400 KB item limit, counted the way DynamoDB counts: attribute names and values in
//! UTF-8 bytes, numbers at their largest encoding, nested maps and lists with their overhead.
//! Every write checks it, so an item that would pass the limit fails here with its size rather
//! than as an opaque validation error (and a scan that checkpoints never stalls on one).

use aws_sdk_dynamodb::types::AttributeValue;

use super::error::Item;

/// DynamoDB's maximum item size, names included.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// Upper bound on a number's stored size (38 significant digits, 2 per byte, plus one).
const NUMBER_BYTES: usize = 21;
/// Overhead of a map or list value, and of each element in it.
const NESTED_BYTES: usize = 3;
const ELEMENT_BYTES: usize = 1;

/// The size DynamoDB charges `item` at (an upper bound where its encoding varies).
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(n, v)| n.len() + value_size(v)).sum()
}

fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(_) => NUMBER_BYTES,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.len() * NUMBER_BYTES,
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::M(m) => {
            NESTED_BYTES
                + m.iter()
                    .map(|(n, v)| n.len() + value_size(v) + ELEMENT_BYTES)
                    .sum::<usize>()
        }
        AttributeValue::L(l) => {
            NESTED_BYTES
                + l.iter()
                    .map(|v| value_size(v) + ELEMENT_BYTES)
                    .sum::<usize>()
        }
        // A type added to the SDK later: count it as large as the limit, so it is never waved
        // through unmeasured.
        _ => MAX_ITEM_BYTES,
    }
}

/// `s` cut to at most `max` bytes on a character boundary: for free text our own code records
/// (an error, a field name an LA sent), so every item that carries it stays bounded.
pub fn at_most(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// Refuses an item over the limit before it is sent.
pub fn check(item: &Item) -> Result<(), super::StoreError> {
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        return Err(super::StoreError::TooLarge { size });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    #[test]
    fn counts_names_values_and_nesting() {
        let item = Item::from([
            ("pk".into(), s("abc")),
            ("n".into(), AttributeValue::N("7".into())),
            (
                "m".into(),
                AttributeValue::M([("x".to_owned(), s("yz"))].into()),
            ),
            ("l".into(), AttributeValue::L(vec![s("a"), s("bc")])),
        ]);
        // pk+abc, n+21, m+(3 + x+yz+1), l+(3 + a+1 + bc+1)
        assert_eq!(item_size(&item), 5 + 22 + (1 + 3 + 4) + (1 + 3 + 2 + 3));
    }

    #[test]
    fn free_text_is_cut_on_a_character_boundary() {
        assert_eq!(at_most("abc", 10), "abc");
        assert_eq!(at_most("abcdef", 4), "abcd");
        assert_eq!(at_most("aé", 2), "a", "é is two bytes: not split");
    }

    #[test]
    fn an_item_over_the_limit_is_refused_and_one_at_it_is_not() {
        let at = |n: usize| Item::from([("p".into(), s(&"x".repeat(n - 1)))]);
        assert!(check(&at(MAX_ITEM_BYTES)).is_ok());
        let refused = check(&at(MAX_ITEM_BYTES + 1)).unwrap_err();
        assert!(
            matches!(refused, crate::store::StoreError::TooLarge { size } if size == MAX_ITEM_BYTES + 1)
        );
    }
}
