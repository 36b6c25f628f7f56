//! Programmes, modules and groups: their resources are in `crate::records::programmes`,
//! served by the generic CRUD.

pub use crate::records::programmes::*;
