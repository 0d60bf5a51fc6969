//! Demo data from the seed report: four workshops with their staff, catalog,
//! farmers and lots, live rooms, and a few customers, loaded through the API's services.

mod catalog;
mod fulfil;
mod groupbuys;
mod live;
mod month;
mod orders;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use crate::auth::Role;
use crate::auth::service::{ensure_platform_admin, find_or_create_account};
use crate::config::Settings;
use crate::entity::{account, workshop};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::addresses::add_address;
use crate::orders::model::AddressRequest;
use crate::state::AppState;
use crate::workshops::model::{AddMemberRequest, CreateWorkshopRequest, NewMember};
use crate::workshops::service::{add_member, create_workshop};

/// Every demo account uses this password.
pub const DEMO_PASSWORD: &str = "gongfang-demo";
pub const DEMO_ADMIN_PHONE: &str = "13800000000";

struct DemoWorkshop {
    name: &'static str,
    region: &'static str,
    description: &'static str,
    contact: &'static str,
    /// Staff phones are `139{code}0000{n}`: 1 manager, 2 streamer, 3 fulfilment, 4 leader.
    code: &'static str,
    staff: [&'static str; 4],
}

const WORKSHOPS: [DemoWorkshop; 4] = [
    DemoWorkshop {
        name: "莓好集市",
        region: "杭州市建德市杨村桥镇",
        description: "建德草莓共富工坊：红颜、章姬草莓分级销售，直播带货带动低收入农户增收。",
        contact: "0571-64000001",
        code: "001",
        staff: ["陈经理", "小莓主播", "杨分拣", "周团长"],
    },
    DemoWorkshop {
        name: "茶仙子",
        region: "杭州市余杭区径山镇",
        description: "径山茶共富工坊：明前、雨前径山茶，村播团直播销售。",
        contact: "0571-88000002",
        code: "002",
        staff: ["俞经理", "茶仙子主播", "沈打包", "钱团长"],
    },
    DemoWorkshop {
        name: "鱼鹰团",
        region: "杭州市临平区塘栖镇",
        description: "塘栖粽子、板鸭、茶糕、枇杷叶茶等特产，社区团购与直播。",
        contact: "0571-86000003",
        code: "003",
        staff: ["朱经理", "鱼鹰主播", "孙发货", "吴团长"],
    },
    DemoWorkshop {
        name: "南阳伞",
        region: "杭州市萧山区南阳街道",
        description: "南阳伞共富工坊：共富价雨伞，设计、直播、展销一体。",
        contact: "0571-82000004",
        code: "004",
        staff: ["何经理", "南阳主播", "郑发货", "冯团长"],
    },
];

const CUSTOMERS: [(&str, &str); 3] = [
    ("13700000001", "张伟"),
    ("13700000002", "李娜"),
    ("13700000003", "王芳"),
];

/// Further customers of the demo month (no logins listed; they share the
/// demo password): surnames × given names, phones `1370001{nnnn}`.
const SURNAMES: [&str; 8] = ["陈", "刘", "赵", "黄", "周", "吴", "徐", "孙"];
const GIVEN: [&str; 6] = ["丽", "强", "敏", "静", "磊", "婷"];
const MORE_CUSTOMERS: usize = 45;
const CITIES: [(&str, &str, &str, &str); 5] = [
    ("浙江省", "杭州市", "西湖区", "文三路 90 号"),
    ("浙江省", "杭州市", "余杭区", "五常大道 181 号"),
    ("上海市", "上海市", "徐汇区", "漕溪北路 88 号"),
    ("浙江省", "宁波市", "鄞州区", "天童南路 555 号"),
    ("江苏省", "苏州市", "姑苏区", "人民路 1001 号"),
];

const ROLES: [Role; 4] = [
    Role::Manager,
    Role::Streamer,
    Role::Fulfilment,
    Role::Leader,
];

pub fn staff_phone(code: &str, n: usize) -> String {
    format!("139{code}0000{n}")
}

/// Loads the demo data unless the database already has workshops.
/// Returns whether anything was loaded.
pub async fn load_if_empty(state: &AppState) -> AppResult<bool> {
    if let Some(problem) = sandbox_problem(&state.settings) {
        return Err(AppError::new(ErrorCode::ProviderUnavailable, problem));
    }
    if workshop::Entity::find().count(&state.db).await? > 0 {
        return Ok(false);
    }
    load(state).await?;
    Ok(true)
}

/// The demo pays and ships through the sandbox providers only, never through a
/// real one: why it cannot run with these settings, if it cannot.
pub fn sandbox_problem(settings: &Settings) -> Option<String> {
    let payments = settings.payments.sandbox_enabled && settings.payments.base_url.is_empty();
    let logistics = settings.logistics.sandbox_enabled && settings.logistics.base_url.is_empty();
    (!payments || !logistics).then(|| {
        "the demo pays and ships through the sandbox providers, which these settings turn off: \
         set GONGFANG__PAYMENTS__SANDBOX_ENABLED=true and GONGFANG__LOGISTICS__SANDBOX_ENABLED=true \
         (and no provider base_url) for the instance that loads it"
            .to_owned()
    })
}

const WARMUP_TASK: &str = "demo data";

/// Loads the demo while the instance serves: `/readyz` says how it goes. A
/// database outage before anything was written is waited out; any other
/// failure is logged and named on `/readyz`, and the instance serves on.
pub async fn load_while_serving(state: &AppState) -> Result<bool, String> {
    state.warmup.begin(WARMUP_TASK);
    let mut wait = std::time::Duration::from_millis(500);
    loop {
        match load_if_empty(state).await {
            Ok(loaded) => {
                state.warmup.done(WARMUP_TASK);
                return Ok(loaded);
            }
            Err(err)
                if err.code == ErrorCode::ServiceUnavailable && nothing_written(state).await =>
            {
                tracing::warn!(error = %err.detail, retry_in_ms = wait.as_millis() as u64, "demo load waits for the database");
                state.warmup.retrying(WARMUP_TASK, err.detail.clone());
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(15));
            }
            Err(err) => {
                let reason = format!("{:?}: {}", err.code, err.detail);
                tracing::error!(error = ?err, cause = ?err.source, "demo load failed; serving without it");
                state.warmup.failed(WARMUP_TASK, reason.clone());
                return Err(reason);
            }
        }
    }
}

/// True when no workshop exists yet, so the load can start again from the top.
async fn nothing_written(state: &AppState) -> bool {
    matches!(workshop::Entity::find().count(&state.db).await, Ok(0))
}

pub async fn load(state: &AppState) -> AppResult<()> {
    ensure_platform_admin(&state.db, &state.passwords, DEMO_ADMIN_PHONE, DEMO_PASSWORD).await?;
    for shop in &WORKSHOPS {
        load_workshop(state, shop).await?;
    }
    for (phone, name) in CUSTOMERS {
        let account = find_or_create_account(
            &state.db,
            &state.passwords,
            phone,
            name,
            Some(DEMO_PASSWORD),
        )
        .await?;
        let mut active: account::ActiveModel = account.into();
        active.is_customer = Set(true);
        active.update(&state.db).await?;
    }
    let started = std::time::Instant::now();
    let lap = |phase: &str| {
        tracing::info!(
            phase,
            ms = started.elapsed().as_millis() as u64,
            "demo loading"
        );
    };
    lap("workshops and catalog");
    let customers = customers(state).await?;
    let phones: Vec<&str> = CUSTOMERS.iter().map(|(phone, _)| *phone).collect();
    let open_campaign = groupbuys::load(state, &phones).await?;
    // The live rooms pin SKUs of the demo catalog.
    live::load(state).await?;
    lap("group-buys and live rooms");
    // The month of 莓好集市 and 茶仙子: broadcasts, sales, waves, the ledger.
    month::load(state, &customers).await?;
    lap("month");
    // Then each named customer's orders in every state.
    orders::load(state, &phones).await?;
    // Last, so no wave picks its orders before the campaign settles.
    groupbuys::join_open(state, open_campaign, &phones).await?;
    lap("done");
    Ok(())
}

pub(crate) async fn account_id(state: &AppState, phone: String) -> AppResult<i64> {
    account::Entity::find()
        .filter(account::Column::Phone.eq(phone))
        .one(&state.db)
        .await?
        .map(|a| a.id)
        .ok_or_else(|| AppError::not_found("demo account"))
}

/// The named customers and the month's further ones, each with an address.
/// The further accounts share one hash of the demo password (hashing each
/// would cost the load a second or more).
async fn customers(state: &AppState) -> AppResult<Vec<month::Customer>> {
    let hash = state.passwords.hash(DEMO_PASSWORD).await?;
    let now = chrono::Utc::now();
    let more: Vec<account::ActiveModel> = (0..MORE_CUSTOMERS)
        .map(|n| account::ActiveModel {
            phone: Set(format!("1370001{n:04}")),
            name: Set(format!(
                "{}{}",
                SURNAMES[n % SURNAMES.len()],
                GIVEN[(n / SURNAMES.len() + n) % GIVEN.len()]
            )),
            password_hash: Set(hash.clone()),
            is_platform_admin: Set(false),
            is_customer: Set(true),
            created_at: Set(now),
            ..Default::default()
        })
        .collect();
    account::Entity::insert_many(more).exec(&state.db).await?;
    let accounts = account::Entity::find()
        .filter(account::Column::IsCustomer.eq(true))
        .filter(account::Column::Phone.starts_with("1370"))
        .order_by_asc(account::Column::Id)
        .all(&state.db)
        .await?;
    let mut out = Vec::with_capacity(accounts.len());
    for (n, a) in accounts.into_iter().enumerate() {
        let (province, city, district, detail) = if n < CUSTOMERS.len() {
            ("浙江省", "杭州市", "建德市", "新安江街道 江滨中路 18 号")
        } else {
            CITIES[n % CITIES.len()]
        };
        let request = AddressRequest {
            name: a.name.clone(),
            phone: a.phone.clone(),
            province: province.into(),
            city: city.into(),
            district: district.into(),
            detail: detail.into(),
        };
        let address = add_address(&state.db, a.id, request).await?;
        out.push(month::Customer {
            id: a.id,
            address_id: address.id,
            name: a.name,
        });
    }
    Ok(out)
}

async fn load_workshop(state: &AppState, shop: &DemoWorkshop) -> AppResult<()> {
    let created = create_workshop(
        state,
        CreateWorkshopRequest {
            name: shop.name.into(),
            region: shop.region.into(),
            description: shop.description.into(),
            contact: shop.contact.into(),
            manager: NewMember {
                phone: staff_phone(shop.code, 1),
                name: shop.staff[0].into(),
                password: Some(DEMO_PASSWORD.into()),
            },
        },
    )
    .await?;
    for (n, role) in ROLES.iter().enumerate().skip(1) {
        let member = AddMemberRequest {
            phone: staff_phone(shop.code, n + 1),
            name: shop.staff[n].into(),
            role: *role,
            password: Some(DEMO_PASSWORD.into()),
        };
        add_member(state, created.id, member).await?;
    }
    let manager = account::Entity::find()
        .filter(account::Column::Phone.eq(staff_phone(shop.code, 1)))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("demo manager"))?;
    catalog::load(state, shop.code, created.id, manager.id).await
}

/// The lines `serve --demo` prints and the README lists.
pub fn accounts_summary() -> String {
    let mut out = format!("  platform admin      {DEMO_ADMIN_PHONE}\n");
    for shop in &WORKSHOPS {
        for (n, role) in ROLES.iter().enumerate() {
            let label = format!("{} {}", shop.name, role.as_str());
            out.push_str(&format!(
                "  {label:<18}  {}  ({})\n",
                staff_phone(shop.code, n + 1),
                shop.staff[n]
            ));
        }
    }
    for (phone, name) in CUSTOMERS {
        out.push_str(&format!("  customer            {phone}  ({name})\n"));
    }
    out.push_str(&format!("  password for all:   {DEMO_PASSWORD}\n"));
    out
}
