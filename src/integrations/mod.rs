//! Adapters for the outside services an order depends on: the payment provider
//! and the logistics provider. Each adapter speaks JSON over HTTP (reqwest) to a
//! configured base URL. With none configured it calls the sandbox provider this
//! service serves itself under `/sandbox/...`, so the demo and the tests go
//! through the same wire path, signatures and failure handling as production.

pub mod endpoint;
pub mod logistics;
pub mod payments;
pub mod sandbox;

pub use endpoint::SelfAddress;
