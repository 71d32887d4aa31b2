//! The `reconcile` example's week, run as a user runs it: each day's report
//! on disk says what the example's story says.

use std::process::Command;

#[test]
fn the_week_of_reconciliation_reports_a_revision_and_a_late_psp() {
    let dir = std::env::temp_dir().join(format!("abilita-reconcile-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_reconcile"))
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report =
        |day: &str| std::fs::read_to_string(dir.join(format!("report-{day}.csv"))).unwrap();
    let count = |csv: &str, outcome: &str| {
        csv.lines()
            .filter(|l| l.starts_with(&format!("{outcome},")))
            .count()
    };

    let wednesday = report("2026-11-25");
    assert_eq!(count(&wednesday, "reconciled"), 10, "{wednesday}");
    assert_eq!(
        wednesday.lines().count(),
        11,
        "the header and ten transfers"
    );

    let thursday = report("2026-11-26");
    assert_eq!(count(&thursday, "reconciled"), 9, "{thursday}");
    assert_eq!(count(&thursday, "amount_mismatch"), 1);
    let mismatch = thursday
        .lines()
        .find(|l| l.starts_with("amount_mismatch,"))
        .unwrap();
    assert!(
        mismatch.contains(",2,") && mismatch.contains(",87.50,90.00,"),
        "revision 2, 2.50 € less: {mismatch}"
    );
    assert_eq!(
        count(&thursday, "awaiting"),
        2,
        "the sixth payment's two transfers"
    );

    let monday = report("2026-11-30");
    assert_eq!(count(&monday, "unreported"), 2, "{monday}");
    assert_eq!(count(&monday, "awaiting"), 0);

    let cursor: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cursor.json")).unwrap()).unwrap();
    assert_eq!(
        cursor["read"]["88888888888"]["2026-11-2588888888888-0001"]["revision"], 2,
        "{cursor}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
