//! Tests of the access check: on hand-built HIR (every path, independent of the front
//! end) and on Braid source through the driver.

mod builder;
mod fuzz;
mod hir_cases;
mod partial_cases;
mod source_cases;
