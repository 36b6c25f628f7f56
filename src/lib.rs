//! assidu: attendance, certificates and billing for work-study training contracts.

pub mod app;
pub mod audit_bundle;
pub mod auth;
pub mod billing;
pub mod cache;
pub mod certificates;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod export;
pub mod feeds;
pub mod generate;
pub mod http;
pub mod i18n;
pub mod import;
pub mod jobs;
pub mod mail;
pub mod notices;
pub mod pdf;
pub mod terminations;
pub mod web;
pub mod worker;
