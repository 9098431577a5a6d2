//! The public site: home, portfolio, services and packages, about, contact, FAQ, sitemap.

pub mod contact;
pub mod content;
pub mod handlers;
pub mod inbox;
pub mod store;
pub mod tables;
pub mod views;
