//! The catalog: categories, products (prints and digital files), option groups and values with
//! price deltas, and the shop pages that browse them.

pub mod listing;
pub mod model;
pub mod options_page;
pub mod pricing;
pub mod shelf;
pub mod store;
pub mod tables;
pub mod views;
