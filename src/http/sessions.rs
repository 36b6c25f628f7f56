//! Training sessions: their resource is in `crate::records::sessions`, served by the
//! generic CRUD.

pub use crate::records::sessions::*;
