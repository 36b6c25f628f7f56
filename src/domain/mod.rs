//! Pure rules of the convention: no I/O here, only values in and values out.

pub mod absence;
pub mod acknowledgement;
pub mod attendance;
pub mod billing;
pub mod calendar;
pub mod certificate;
pub mod company;
pub mod contract_kind;
pub mod feed;
pub mod follow_up;
pub mod hours;
pub mod mail_link;
pub mod payroll;
pub mod reach;
pub mod retry;
pub mod roles;
pub mod semester;
pub mod siret;
pub mod text;
pub mod throttle;
pub mod timetable;
