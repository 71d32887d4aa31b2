//! The station's debts in a real database, through sqlx's `Any` driver:
//! SQLite by default (one file), PostgreSQL when given a `postgres://` URL.
//! The same SQL serves both (`$n` placeholders, `ON CONFLICT`).
//!
//! A receipt is stored in the same transaction that marks its option
//! paid, so a crash between the two cannot happen: either both are there,
//! or neither is and the Nodo's retry brings the receipt again.

use std::sync::Arc;

use abilita_core::{EuroCents, Iban, IdentifierError};
use abilita_pagopa::gpd::{DebtPosition, Debtor, PaymentOption};
use abilita_pagopa::station::{
    Activation, Debts, DebtsError, Holding, Receipt, Recorded, Standing,
};
use abilita_pagopa::{CreditorCode, NoticeNumber, SegregationCode};
use async_trait::async_trait;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const SCHEMA: [&str; 3] = [
    "CREATE TABLE IF NOT EXISTS options (
        creditor TEXT NOT NULL, iuv TEXT NOT NULL, iupd TEXT NOT NULL,
        company TEXT NOT NULL, debtor_cf TEXT NOT NULL, debtor_name TEXT NOT NULL,
        description TEXT NOT NULL, amount BIGINT NOT NULL, due TEXT NOT NULL,
        iban TEXT NOT NULL, category TEXT NOT NULL, paid_by TEXT,
        PRIMARY KEY (creditor, iuv))",
    "CREATE TABLE IF NOT EXISTS receipts (
        creditor TEXT NOT NULL, iuv TEXT NOT NULL, receipt_id TEXT NOT NULL,
        notice TEXT NOT NULL, amount BIGINT NOT NULL, psp TEXT NOT NULL, xml TEXT NOT NULL,
        PRIMARY KEY (creditor, iuv, receipt_id))",
    "CREATE TABLE IF NOT EXISTS activations (
        creditor TEXT NOT NULL, notice TEXT NOT NULL, at TEXT NOT NULL, note TEXT,
        PRIMARY KEY (creditor, notice))",
];

/// A receipt as stored.
pub(crate) struct StoredReceipt {
    pub(crate) notice: String,
    pub(crate) receipt_id: String,
    pub(crate) amount: EuroCents,
    pub(crate) psp: String,
    /// Whether it is the one that paid its option.
    pub(crate) paying: bool,
}

/// The creditor's debts in SQL.
pub(crate) struct SqlDebts {
    pool: AnyPool,
}

fn failed(error: impl std::error::Error + Send + Sync + 'static) -> DebtsError {
    DebtsError::new(error)
}

impl SqlDebts {
    /// Connects to `url` (`sqlite://FILE?mode=rwc` or `postgres://…`) and
    /// creates the tables when missing.
    pub(crate) async fn open(url: &str) -> Result<Self, sqlx::Error> {
        install_default_drivers();
        // SQLite serialises writers: one connection keeps it simple.
        let connections = if url.starts_with("sqlite:") { 1 } else { 8 };
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            .connect(url)
            .await?;
        for statement in SCHEMA {
            sqlx::query(statement).execute(&pool).await?;
        }
        Ok(Self { pool })
    }

    /// Issues notices `1..=count` of `creditor` (120 € each), leaving alone
    /// those already there.
    pub(crate) async fn seed(
        &self,
        creditor: &CreditorCode,
        count: u64,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let mut tx = self.pool.begin().await?;
        for n in 1..=count {
            let iuv = notice(n)?.iuv();
            sqlx::query(
                "INSERT INTO options (creditor, iuv, iupd, company, debtor_cf, debtor_name,
                    description, amount, due, iban, category)
                 VALUES ($1, $2, $3, 'Comune di Prova', 'RSSMRA80A01H501U', 'Mario Rossi',
                    $4, 12000, '2099-12-31T00:00:00Z', 'IT60X0542811101000000123456', '9/0101100IM/')
                 ON CONFLICT (creditor, iuv) DO NOTHING",
            )
            .bind(creditor.as_str())
            .bind(iuv.as_str())
            .bind(format!("TARI-2026-{n}"))
            .bind(format!("TARI 2026, avviso {n}"))
            .execute(&mut *tx)
            .await?;
        }
        Ok(tx.commit().await?)
    }

    /// Every receipt, in notice order.
    pub(crate) async fn receipts(&self) -> Result<Vec<StoredReceipt>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT r.notice, r.receipt_id, r.amount, r.psp,
                    CASE WHEN o.paid_by = r.receipt_id THEN 1 ELSE 0 END
             FROM receipts r LEFT JOIN options o ON o.creditor = r.creditor AND o.iuv = r.iuv
             ORDER BY r.notice, r.receipt_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredReceipt {
                    notice: row.try_get(0)?,
                    receipt_id: row.try_get(1)?,
                    amount: EuroCents::new(u64::try_from(row.try_get::<i64, _>(2)?).unwrap_or(0)),
                    psp: row.try_get(3)?,
                    paying: row.try_get::<i32, _>(4)? == 1,
                })
            })
            .collect()
    }

    /// How many options are paid.
    pub(crate) async fn paid_count(&self) -> Result<i64, sqlx::Error> {
        sqlx::query("SELECT COUNT(*) FROM options WHERE paid_by IS NOT NULL")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)
    }
}

/// The notice number of the example's `n`-th debt (segregation code 02).
pub(crate) fn notice(n: u64) -> Result<NoticeNumber, IdentifierError> {
    NoticeNumber::from_iuv_base(&SegregationCode::new("02")?, n)
}

#[async_trait]
impl Debts for SqlDebts {
    async fn holding(
        &self,
        creditor: &CreditorCode,
        notice: &NoticeNumber,
    ) -> Result<Option<Arc<Holding>>, DebtsError> {
        let row = sqlx::query(
            "SELECT iupd, company, debtor_cf, debtor_name, description, amount, due, iban, category, paid_by
             FROM options WHERE creditor = $1 AND iuv = $2",
        )
        .bind(creditor.as_str())
        .bind(notice.iuv().as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(failed)?;
        let Some(row) = row else { return Ok(None) };
        let text = |i: usize| row.try_get::<String, _>(i).map_err(failed);
        let invalid = |what: &str| DebtsError::new(format!("the stored {what} is not valid"));
        let iuv = notice.iuv();
        let amount = u64::try_from(row.try_get::<i64, _>(5).map_err(failed)?)
            .map_err(|_| invalid("amount"))?;
        let due = OffsetDateTime::parse(&text(6)?, &Rfc3339).map_err(|_| invalid("due date"))?;
        let option = PaymentOption::to_account(
            iuv.clone(),
            EuroCents::new(amount),
            text(4)?,
            due,
            Iban::new(&text(7)?).map_err(|_| invalid("IBAN"))?,
            text(8)?.parse().map_err(|_| invalid("taxonomy code"))?,
        );
        let debtor = Debtor::new(&text(2)?.parse().map_err(|_| invalid("debtor"))?, text(3)?);
        let position = DebtPosition::new(
            text(0)?.parse().map_err(|_| invalid("IUPD"))?,
            debtor,
            text(1)?,
            option,
        );
        let mut holding = Holding::new(position, Standing::Issued);
        if row
            .try_get::<Option<String>, _>(9)
            .map_err(failed)?
            .is_some()
        {
            holding.paid.push(iuv);
        }
        Ok(Some(Arc::new(holding)))
    }

    async fn activated(&self, activation: &Activation) -> Result<(), DebtsError> {
        let at = activation.at.format(&Rfc3339).map_err(failed)?;
        sqlx::query(
            "INSERT INTO activations (creditor, notice, at, note) VALUES ($1, $2, $3, $4)
             ON CONFLICT (creditor, notice) DO UPDATE SET at = excluded.at, note = excluded.note",
        )
        .bind(activation.creditor.as_str())
        .bind(activation.notice.as_str())
        .bind(at)
        .bind(activation.payment_note.clone())
        .execute(&self.pool)
        .await
        .map_err(failed)?;
        Ok(())
    }

    async fn record_receipt(&self, receipt: &Receipt) -> Result<Recorded, DebtsError> {
        let iuv = receipt.notice.iuv();
        let amount = i64::try_from(receipt.amount.cents()).map_err(failed)?;
        let mut tx = self.pool.begin().await.map_err(failed)?;
        sqlx::query(
            "INSERT INTO receipts (creditor, iuv, receipt_id, notice, amount, psp, xml)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(receipt.creditor.as_str())
        .bind(iuv.as_str())
        .bind(receipt.receipt_id.as_str())
        .bind(receipt.notice.as_str())
        .bind(amount)
        .bind(receipt.psp.id.as_str())
        .bind(receipt.xml.as_str())
        .execute(&mut *tx)
        .await
        .map_err(failed)?;
        let paid = sqlx::query(
            "UPDATE options SET paid_by = $3 WHERE creditor = $1 AND iuv = $2 AND paid_by IS NULL",
        )
        .bind(receipt.creditor.as_str())
        .bind(iuv.as_str())
        .bind(receipt.receipt_id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(failed)?
        .rows_affected();
        let recorded = if paid == 1 {
            Recorded::Paid
        } else {
            let row = sqlx::query("SELECT paid_by FROM options WHERE creditor = $1 AND iuv = $2")
                .bind(receipt.creditor.as_str())
                .bind(iuv.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(failed)?;
            match row
                .map(|r| r.try_get::<Option<String>, _>(0))
                .transpose()
                .map_err(failed)?
            {
                None => Recorded::Unknown,
                Some(paying) if paying.as_deref() == Some(receipt.receipt_id.as_str()) => {
                    Recorded::Repeated
                }
                Some(_) => Recorded::OtherReceiptHeld,
            }
        };
        tx.commit().await.map_err(failed)?;
        Ok(recorded)
    }
}
