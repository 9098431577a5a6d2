//! Public pages that belong to no domain (home, robots.txt).

pub mod handlers;
pub mod views;
