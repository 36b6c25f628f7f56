//! End-to-end tests: each test spawns the real application on a random port with a fresh
//! database (SQLite file, or a new PostgreSQL database when `ASSIDU_TEST_DB=postgres`) and
//! talks to it over HTTP.

mod helpers;

mod acknowledgements;
mod admin_api;
mod attendance;
mod audit_bundle;
mod auth;
mod billing;
mod browser;
mod calendar;
mod certificates;
mod cli;
mod company_access;
mod company_journey;
mod console;
mod console_browser;
mod dashboard;
mod demo;
mod dialect;
mod email_link;
mod email_link_browser;
mod emargement;
mod employer_change;
mod error_pages;
mod evidence;
mod faults;
mod feeds;
mod follow_ups;
mod generate;
mod import;
mod layout;
mod mail;
mod mail_wording;
mod office_home;
mod openapi;
mod payroll_statement;
mod people;
mod phone;
mod roles;
mod roll_call_phone;
mod semesters;
mod signing;
mod smtp;
mod timetable;
mod timetable_browser;
mod timetable_cli;
mod timetable_fetch;
mod timetable_job;
mod timetable_pages;
mod web;
