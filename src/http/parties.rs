//! The people and organisations of a contract: their resources are in
//! `crate::records::parties`, served by the generic CRUD.

pub use crate::records::parties::*;
