//! Scaffolding that stands beside the product rather than inside it: the demo
//! data a newcomer's `serve --demo` loads, and the bulk preparation the
//! benchmarks under `bench/` run. It sits above every domain and reaches them
//! only through their public services, so no domain depends on it.

pub mod bench;
pub mod demo;
