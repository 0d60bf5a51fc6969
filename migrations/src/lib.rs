//! Versioned schema migrations, one file per change, one tree for PostgreSQL
//! and SQLite. Written with `schema::*` helpers; never imports entity types.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_foundation;
mod m20261129_000002_catalog;
mod m20261129_000003_outbox;
mod m20261129_000004_orders;
mod m20261129_000005_allotments;
mod m20261129_000030_webhooks;
mod m20261129_000040_live;
mod m20261129_000050_deals;
mod m20261129_000060_groupbuys;
mod m20261129_000070_fulfilment;
mod m20261129_000080_ledger;
mod m20261129_000090_wave_cancel;
mod m20261202_000100_viewer_kinds;
mod m20261203_000110_outbox_pending;

pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_foundation::Migration),
            Box::new(m20261129_000002_catalog::Migration),
            Box::new(m20261129_000003_outbox::Migration),
            Box::new(m20261129_000004_orders::Migration),
            Box::new(m20261129_000005_allotments::Migration),
            Box::new(m20261129_000030_webhooks::Migration),
            Box::new(m20261129_000040_live::Migration),
            Box::new(m20261129_000050_deals::Migration),
            Box::new(m20261129_000060_groupbuys::Migration),
            Box::new(m20261129_000070_fulfilment::Migration),
            Box::new(m20261129_000080_ledger::Migration),
            Box::new(m20261129_000090_wave_cancel::Migration),
            Box::new(m20261202_000100_viewer_kinds::Migration),
            Box::new(m20261203_000110_outbox_pending::Migration),
        ]
    }
}
