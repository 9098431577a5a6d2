//! FlashStudio: the website and back-office of a video production studio.
//!
//! A modular monolith in layers, each importing only the layers below it (the table and the
//! reasons are in `docs/architecture.md`; `tests/app/architecture.rs` enforces them):
//! foundation (`money`, `crypto`, `db`, `error`, `config`, `telemetry`, `metrics`, `storage`,
//! `content`, `ports`, `state`), plumbing (`identity`, `rate_limit`, `http`, `views`, `jobs`,
//! `notifications`, `audit`, `tables`), domains (`media`, `catalog`, `cart`, `payments`,
//! `orders`, `reviews`, `site`, `shop`, `accounts`), back office (`admin`, `api`, `demo`,
//! `ops`), wiring (`routes`, `app`) and `cli`.

pub mod accounts;
pub mod admin;
pub mod analytics;
pub mod api;
pub mod app;
pub mod audit;
pub mod bookings;
pub mod cart;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod content;
pub mod crypto;
pub mod customers;
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
pub mod projects;
pub mod quotes;
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
