//! Shared view pieces: the page layout, form components and error pages.
//!
//! Domain modules render their own screens in their `views.rs` and wrap them with
//! [`layout::page`]; everything user-supplied is escaped by Maud.

#![warn(missing_docs)]

pub mod admin;
pub mod components;
pub mod errors;
pub mod layout;

pub use layout::{PageMeta, page};
