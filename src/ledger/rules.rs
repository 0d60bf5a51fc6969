//! The workshop's premium split rule: managers set it; a workshop that never
//! did uses the default (farmer 70 %, collective 20 %, workshop 10 %).

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use super::model::{SplitRuleRequest, SplitRuleView};
use super::split::{SplitRule, TOTAL_BP};
use crate::catalog::lookup;
use crate::entity::ledger_split_rule;
use crate::error::AppResult;
use crate::platform::validate::Check;

pub async fn current_rule(db: &impl ConnectionTrait, workshop_id: i64) -> AppResult<SplitRule> {
    Ok(stored(db, workshop_id)
        .await?
        .map(|r| rule_of(&r))
        .unwrap_or_default())
}

pub async fn get_rule(db: &impl ConnectionTrait, workshop_id: i64) -> AppResult<SplitRuleView> {
    lookup::workshop(db, workshop_id).await?;
    let row = stored(db, workshop_id).await?;
    let rule = row.as_ref().map(rule_of).unwrap_or_default();
    Ok(view(workshop_id, rule, row.map(|r| r.updated_at)))
}

pub async fn set_rule(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    by: i64,
    req: SplitRuleRequest,
) -> AppResult<SplitRuleView> {
    let rule = SplitRule {
        farmer_bp: req.farmer_bp,
        collective_bp: req.collective_bp,
        workshop_bp: req.workshop_bp,
    };
    let mut check = Check::new();
    check
        .range("farmer_bp", rule.farmer_bp, 0, TOTAL_BP)
        .range("collective_bp", rule.collective_bp, 0, TOTAL_BP)
        .range("workshop_bp", rule.workshop_bp, 0, TOTAL_BP);
    if !rule.is_valid() {
        check.fail(
            "farmer_bp",
            "the three rates must sum to 10000 basis points",
        );
    }
    check.finish()?;
    lookup::workshop(db, workshop_id).await?;
    let now = Utc::now();
    let row = ledger_split_rule::ActiveModel {
        workshop_id: Set(workshop_id),
        farmer_bp: Set(rule.farmer_bp as i32),
        collective_bp: Set(rule.collective_bp as i32),
        workshop_bp: Set(rule.workshop_bp as i32),
        updated_by: Set(by),
        updated_at: Set(now),
    };
    ledger_split_rule::Entity::insert(row)
        .on_conflict(
            OnConflict::column(ledger_split_rule::Column::WorkshopId)
                .update_columns([
                    ledger_split_rule::Column::FarmerBp,
                    ledger_split_rule::Column::CollectiveBp,
                    ledger_split_rule::Column::WorkshopBp,
                    ledger_split_rule::Column::UpdatedBy,
                    ledger_split_rule::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(view(workshop_id, rule, Some(now)))
}

async fn stored(
    db: &impl ConnectionTrait,
    workshop_id: i64,
) -> AppResult<Option<ledger_split_rule::Model>> {
    Ok(ledger_split_rule::Entity::find_by_id(workshop_id)
        .one(db)
        .await?)
}

fn rule_of(r: &ledger_split_rule::Model) -> SplitRule {
    SplitRule {
        farmer_bp: r.farmer_bp.into(),
        collective_bp: r.collective_bp.into(),
        workshop_bp: r.workshop_bp.into(),
    }
}

fn view(
    workshop_id: i64,
    rule: SplitRule,
    updated_at: Option<chrono::DateTime<Utc>>,
) -> SplitRuleView {
    SplitRuleView {
        workshop_id,
        farmer_bp: rule.farmer_bp,
        collective_bp: rule.collective_bp,
        workshop_bp: rule.workshop_bp,
        updated_at,
    }
}
