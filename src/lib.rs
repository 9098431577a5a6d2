//! FlashStudio: the website and back-office of a video production studio.
//!
//! A modular monolith. Shared plumbing lives in `config`, `db`, `http`, `views`, `error`,
//! `crypto`, `rate_limit` and `telemetry`; each business domain has its own folder (`accounts`, `admin`,
//! `jobs`, `notifications`, `ops`, `site`; later `catalog`, `cart`, `orders`, `payments`,
//! `media`, `bookings`, `quotes`, `reviews`, `analytics`, `api`). `routes.rs` lists every URL.
//! See `docs/architecture.md`.

pub mod accounts;
pub mod admin;
pub mod api;
pub mod app;
pub mod audit;
pub mod cart;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod content;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod error;
pub mod http;
pub mod identity;
pub mod jobs;
pub mod media;
pub mod metrics;
pub mod money;
pub mod notifications;
pub mod ops;
pub mod orders;
pub mod payments;
pub mod ports;
pub mod rate_limit;
pub mod reviews;
pub mod routes;
pub mod shop;
pub mod site;
pub mod state;
pub mod storage;
pub mod tables;
pub mod telemetry;
pub mod views;
