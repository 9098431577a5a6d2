//! Product options and prices, as pure functions: which values a buyer may choose for a
//! product and what one unit then costs. Everything price-related the storefront shows or the
//! cart totals comes through here, computed from the catalog, never from the request.

use std::collections::BTreeMap;
use std::sync::Arc;

/// An option value a product offers, with its group. The texts are shared: a value offered by
/// a thousand products is held once in the storefront's snapshot, and grouping or choosing
/// values copies pointers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedValue {
    pub id: Arc<str>,
    pub group_id: Arc<str>,
    /// Group name ("Size").
    pub group_name: Arc<str>,
    pub group_order: i64,
    /// Value label ("40 × 60 cm").
    pub label: Arc<str>,
    /// Price change in minor units (may be negative).
    pub delta_minor: i64,
    /// Value position within the group.
    pub order: i64,
}

/// A product's option groups with the values it offers, in display order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionGroup {
    pub id: Arc<str>,
    /// Group name.
    pub name: Arc<str>,
    /// Values offered, in order.
    pub values: Vec<OfferedValue>,
}

/// Groups offered values by group, in display order.
pub fn groups(offered: &[OfferedValue]) -> Vec<OptionGroup> {
    let mut sorted: Vec<&OfferedValue> = offered.iter().collect();
    sorted.sort_by(|a, b| {
        (a.group_order, &a.group_name, a.order, &a.label).cmp(&(
            b.group_order,
            &b.group_name,
            b.order,
            &b.label,
        ))
    });
    let mut out: Vec<OptionGroup> = Vec::new();
    for v in sorted {
        match out.last_mut() {
            Some(g) if g.id == v.group_id => g.values.push(v.clone()),
            _ => out.push(OptionGroup {
                id: v.group_id.clone(),
                name: v.group_name.clone(),
                values: vec![v.clone()],
            }),
        }
    }
    out
}

/// Why a choice of options is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// A value this product does not offer (unknown, or another product's).
    #[error("That option is not available for this product.")]
    NotOffered,
    /// No value chosen for a group the product has.
    #[error("Choose a {0}.")]
    Missing(String),
    /// Two values of one group.
    #[error("Choose one {0} only.")]
    Conflicting(String),
}

/// A valid choice: exactly one offered value per group the product has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The chosen values, in group display order.
    pub values: Vec<OfferedValue>,
}

impl Selection {
    /// The canonical key of this choice (sorted value ids joined by `,`), which identifies a
    /// cart line together with the product.
    pub fn key(&self) -> String {
        option_key(self.values.iter().map(|v| &*v.id))
    }

    /// `Size: 40 × 60 cm · Frame: Black`.
    pub fn describe(&self) -> String {
        self.values
            .iter()
            .map(|v| format!("{}: {}", v.group_name, v.label))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// Sum of the chosen values' price changes.
    pub fn delta_minor(&self) -> i64 {
        self.values
            .iter()
            .fold(0_i64, |acc, v| acc.saturating_add(v.delta_minor))
    }
}

/// The canonical option key of some value ids.
pub fn option_key<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let mut ids: Vec<&str> = ids.into_iter().filter(|s| !s.is_empty()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.join(",")
}

/// The value ids of an option key.
pub fn key_ids(key: &str) -> Vec<&str> {
    key.split(',').filter(|s| !s.is_empty()).collect()
}

/// Checks `chosen` value ids against what the product offers. When `fill_defaults`, groups
/// with no choice get their first value (a product page before the buyer picks anything);
/// otherwise every group needs a choice.
pub fn select(
    offered: &[OfferedValue],
    chosen: &[&str],
    fill_defaults: bool,
) -> Result<Selection, SelectionError> {
    let mut by_group: BTreeMap<&str, &OfferedValue> = BTreeMap::new();
    for id in chosen.iter().filter(|s| !s.is_empty()) {
        let value = offered
            .iter()
            .find(|v| *v.id == **id)
            .ok_or(SelectionError::NotOffered)?;
        if let Some(previous) = by_group.insert(&value.group_id, value)
            && previous.id != value.id
        {
            return Err(SelectionError::Conflicting(value.group_name.to_lowercase()));
        }
    }
    let mut values = Vec::new();
    for group in groups(offered) {
        match by_group.get(&*group.id) {
            Some(v) => values.push((*v).clone()),
            None if fill_defaults => {
                if let Some(first) = group.values.first() {
                    values.push(first.clone());
                }
            }
            None => return Err(SelectionError::Missing(group.name.to_lowercase())),
        }
    }
    Ok(Selection { values })
}

/// What one unit costs: the base price plus the chosen values' changes, never below zero.
pub fn unit_price(base_minor: i64, selection: &Selection) -> i64 {
    base_minor.saturating_add(selection.delta_minor()).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value(id: &str, group: &str, delta: i64, order: i64) -> OfferedValue {
        OfferedValue {
            id: id.into(),
            group_id: group.into(),
            group_name: group.to_uppercase().into(),
            group_order: i64::from(group != "size"),
            label: id.into(),
            delta_minor: delta,
            order,
        }
    }

    fn print_options() -> Vec<OfferedValue> {
        vec![
            value("a4", "size", 0, 0),
            value("a2", "size", 8000, 1),
            value("none", "frame", 0, 0),
            value("black", "frame", 2000, 1),
        ]
    }

    #[test]
    fn adds_the_chosen_deltas() {
        let offered = print_options();
        let sel = select(&offered, &["black", "a2"], false).unwrap();
        assert_eq!(unit_price(4500, &sel), 14500);
        assert_eq!(sel.key(), "a2,black");
        assert_eq!(sel.describe(), "SIZE: a2 · FRAME: black");
    }

    #[test]
    fn refuses_what_the_product_does_not_offer() {
        let offered = print_options();
        assert_eq!(
            select(&offered, &["a2", "gold"], false),
            Err(SelectionError::NotOffered)
        );
        assert_eq!(
            select(&offered, &["a2"], false),
            Err(SelectionError::Missing("frame".into()))
        );
        assert_eq!(
            select(&offered, &["a2", "a4", "none"], false),
            Err(SelectionError::Conflicting("size".into()))
        );
        // Defaults fill only what was not chosen.
        let sel = select(&offered, &["a2"], true).unwrap();
        assert_eq!(sel.key(), "a2,none");
    }

    #[test]
    fn a_product_without_options_needs_none() {
        let sel = select(&[], &[], false).unwrap();
        assert_eq!(sel.key(), "");
        assert_eq!(unit_price(990, &sel), 990);
        assert_eq!(select(&[], &["x"], false), Err(SelectionError::NotOffered));
    }

    #[test]
    fn price_never_goes_negative() {
        let offered = vec![value("small", "size", -5000, 0)];
        let sel = select(&offered, &["small"], false).unwrap();
        assert_eq!(unit_price(1000, &sel), 0);
    }

    fn catalog() -> impl Strategy<Value = Vec<OfferedValue>> {
        // Up to 3 groups of 1..4 values with deltas in -10_000..50_000.
        prop::collection::vec(prop::collection::vec(-10_000_i64..50_000, 1..4), 0..3).prop_map(
            |groups| {
                let mut out = Vec::new();
                for (g, deltas) in groups.iter().enumerate() {
                    for (i, d) in deltas.iter().enumerate() {
                        out.push(OfferedValue {
                            id: format!("g{g}v{i}").into(),
                            group_id: format!("g{g}").into(),
                            group_name: format!("Group {g}").into(),
                            group_order: g as i64,
                            label: format!("v{i}").into(),
                            delta_minor: *d,
                            order: i as i64,
                        });
                    }
                }
                out
            },
        )
    }

    proptest! {
        /// Any one-per-group choice, in any order, prices to base + its deltas (floored at 0)
        /// and has the same key whatever the order it was given in.
        #[test]
        fn any_valid_choice_prices_consistently(
            offered in catalog(),
            base in 0_i64..1_000_000,
            picks in prop::collection::vec(0_usize..4, 3),
            reverse in any::<bool>(),
        ) {
            let groups = groups(&offered);
            let mut chosen: Vec<&OfferedValue> = groups
                .iter()
                .zip(picks.iter())
                .map(|(g, p)| &g.values[p % g.values.len()])
                .collect();
            let expected = (base + chosen.iter().map(|v| v.delta_minor).sum::<i64>()).max(0);
            if reverse { chosen.reverse(); }
            let ids: Vec<&str> = chosen.iter().map(|v| &*v.id).collect();
            let sel = select(&offered, &ids, false).unwrap();
            prop_assert_eq!(unit_price(base, &sel), expected);
            prop_assert_eq!(sel.key(), option_key(ids.iter().copied()));
            prop_assert_eq!(sel.values.len(), groups.len());
        }

        /// A value id that is not offered is refused, wherever it appears.
        #[test]
        fn foreign_values_are_refused(offered in catalog(), foreign in "[a-z]{1,8}", at in 0_usize..4) {
            let mut ids: Vec<String> = groups(&offered).iter().map(|g| g.values[0].id.to_string()).collect();
            let at = at.min(ids.len());
            ids.insert(at, format!("x-{foreign}"));
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            prop_assert_eq!(select(&offered, &refs, false), Err(SelectionError::NotOffered));
        }

        /// Keys round-trip through their ids.
        #[test]
        fn keys_round_trip(ids in prop::collection::btree_set("[a-f0-9-]{1,12}", 0..5)) {
            let key = option_key(ids.iter().map(String::as_str));
            let back: Vec<&str> = key_ids(&key);
            prop_assert_eq!(option_key(back), key);
        }
    }
}
