//! `gongfang seed --demo` gives 莓好集市 a believable month in the ledger, and
//! `gongfang export-statements` writes its farmer statements as CSV.

use std::process::{Command, Stdio};

use super::fixtures::this_month;

fn gongfang(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gongfang"));
    for var in ["DATABASE_URL", "REDIS_URL", "GONGFANG_PROFILE"] {
        cmd.env_remove(var);
    }
    cmd.env("GONGFANG__DATABASE__SQLITE_PATH", dir.join("gongfang.db"))
        .env("GONGFANG__LOG__LEVEL", "warn")
        .stdin(Stdio::null());
    cmd
}

#[test]
fn export_statements_writes_the_demo_months_statements_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = gongfang(dir.path())
        .args(["seed", "--demo"])
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let out = dir.path().join("statements.csv");
    let month = this_month();
    let export = gongfang(dir.path())
        .args([
            "export-statements",
            "--workshop",
            "1",
            "--month",
            &month,
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    assert!(String::from_utf8_lossy(&export.stdout).contains("farmer statements written"));

    let text = std::fs::read_to_string(&out).unwrap();
    let body = text.strip_prefix('\u{FEFF}').expect("UTF-8 BOM");
    let mut rows = csv_rows(body);
    assert_eq!(
        rows.remove(0),
        gongfang::ledger::export::HEADER.map(String::from)
    );
    assert!(rows.len() >= 3, "every demo farmer: {body}");
    let column = |name: &str| {
        gongfang::ledger::export::HEADER
            .iter()
            .position(|h| *h == name)
            .unwrap()
    };
    let sum = |name: &str| -> i64 {
        rows.iter()
            .map(|r| r[column(name)].parse::<i64>().unwrap())
            .sum()
    };
    assert!(sum("purchase_fen") > 0 && sum("premium_fen") > 0);
    assert!(
        sum("reversals_fen") > 0 && sum("paid_fen") > 0,
        "a refund and a payout"
    );
    for r in &rows {
        assert_eq!(r[column("month")], month);
        let owed = r[column("purchase_fen")].parse::<i64>().unwrap()
            + r[column("premium_fen")].parse::<i64>().unwrap()
            - r[column("reversals_fen")].parse::<i64>().unwrap();
        assert_eq!(r[column("owed_fen")].parse::<i64>().unwrap(), owed);
    }
}

/// Splits simple CSV (the demo has no quoted commas in these columns' cells
/// except settlement references, which hold none).
fn csv_rows(body: &str) -> Vec<Vec<String>> {
    body.lines()
        .map(|l| l.split(',').map(String::from).collect::<Vec<_>>())
        .collect()
}
