//! Every inline-edit table of the admin, each declared by the domain that owns it.

use crate::tables::TableSpec;

/// Every table, in sidebar order.
pub static ALL: &[&TableSpec] = &[
    &crate::catalog::tables::PRODUCTS,
    &crate::catalog::tables::OPTION_GROUPS,
    &crate::catalog::tables::OPTION_VALUES,
    &crate::catalog::tables::CATEGORIES,
    &crate::site::tables::PORTFOLIO,
    &crate::site::tables::PACKAGES,
    &crate::site::tables::FAQS,
    &crate::site::tables::STUDIO_DETAILS,
    &crate::site::tables::CONTACT_MESSAGES,
    &crate::orders::tables::ORDERS,
    &crate::orders::tables::ORDER_LINES,
    &crate::customers::tables::CUSTOMERS,
    &crate::bookings::tables::BOOKINGS,
    &crate::bookings::tables::BOOKING_TYPES,
    &crate::bookings::tables::BOOKING_RESOURCES,
    &crate::quotes::tables::QUOTES,
    &crate::projects::tables::PROJECTS,
    &crate::projects::reviews::PROJECT_REVIEWS,
    &crate::reviews::tables::REVIEWS,
];

/// The table named `name` in URLs.
pub fn spec(name: &str) -> Option<&'static TableSpec> {
    ALL.iter().copied().find(|s| s.name == name)
}
