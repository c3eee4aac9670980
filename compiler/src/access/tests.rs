//! Tests of the access check: on hand-built HIR, and (once the front end produces HIR)
//! on Braid source through the driver.

mod builder;
mod hir_cases;
mod source_cases;
