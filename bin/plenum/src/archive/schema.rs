//! What the tenant schema looks like, read from PostgreSQL's catalog: its tables, the order
//! they load in (foreign keys), self-references, primary keys and sequences. Read from the
//! catalog so that a table a later migration adds is archived without a change here.

use plenum_tenancy::TenantTx;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn stmt(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// `name` as a quoted SQL identifier.
pub(super) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The tables of the schema `tx` is on, by name.
pub(super) async fn tables(tx: &TenantTx) -> anyhow::Result<Vec<String>> {
    let rows = tx
        .conn()
        .query_all_raw(stmt(
            "SELECT c.relname::text AS name FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY 1",
            vec![],
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<String>("", "name"))
        .collect::<Result<_, _>>()?)
}

/// How the tables refer to each other.
#[derive(Debug, Default)]
pub(super) struct Links {
    /// Tables each table must load after (not deferrable, not itself).
    pub after: BTreeMap<String, BTreeSet<String>>,
    /// Columns that refer to rows of their own table (a paper's main paper): loaded empty
    /// first and filled in once every row is there.
    pub self_refs: BTreeMap<String, Vec<String>>,
}

pub(super) async fn links(tx: &TenantTx) -> anyhow::Result<Links> {
    let rows = tx
        .conn()
        .query_all_raw(stmt(
            "SELECT cl.relname::text AS tbl, rcl.relname::text AS ref, con.condeferrable AS deferrable, \
             (SELECT string_agg(a.attname::text, ',') FROM pg_attribute a \
              WHERE a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)) AS cols \
             FROM pg_constraint con \
             JOIN pg_class cl ON cl.oid = con.conrelid \
             JOIN pg_class rcl ON rcl.oid = con.confrelid \
             JOIN pg_namespace n ON n.oid = cl.relnamespace \
             WHERE con.contype = 'f' AND n.nspname = current_schema()",
            vec![],
        ))
        .await?;
    let mut links = Links::default();
    for row in &rows {
        let table: String = row.try_get("", "tbl")?;
        let referenced: String = row.try_get("", "ref")?;
        let deferrable: bool = row.try_get("", "deferrable")?;
        let columns: String = row.try_get("", "cols")?;
        if table == referenced {
            links
                .self_refs
                .entry(table)
                .or_default()
                .extend(columns.split(',').map(str::to_owned));
        } else if !deferrable {
            links.after.entry(table).or_default().insert(referenced);
        }
    }
    Ok(links)
}

/// `tables` in an order in which every table comes after the tables it refers to.
pub(super) fn load_order(tables: &[String], links: &Links) -> anyhow::Result<Vec<String>> {
    let mut order = Vec::new();
    let mut placed = BTreeSet::new();
    while order.len() < tables.len() {
        let next: Vec<&String> = tables
            .iter()
            .filter(|t| !placed.contains(*t))
            .filter(|t| {
                links.after.get(*t).is_none_or(|deps| {
                    deps.iter()
                        .all(|d| placed.contains(d) || !tables.contains(d))
                })
            })
            .collect();
        anyhow::ensure!(
            !next.is_empty(),
            "the tables refer to each other in a circle: {:?}",
            tables
                .iter()
                .filter(|t| !placed.contains(*t))
                .collect::<Vec<_>>()
        );
        for t in next {
            placed.insert(t.clone());
            order.push(t.clone());
        }
    }
    Ok(order)
}

/// The primary key columns of `table`.
pub(super) async fn primary_key(tx: &TenantTx, table: &str) -> anyhow::Result<Vec<String>> {
    let rows = tx
        .conn()
        .query_all_raw(stmt(
            "SELECT a.attname::text AS col FROM pg_index i \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
             WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY a.attnum",
            vec![ident(table).into()],
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<String>("", "col"))
        .collect::<Result<_, _>>()?)
}

/// Columns filled from a sequence, with the sequence: (table, column, sequence).
pub(super) async fn sequences(tx: &TenantTx) -> anyhow::Result<Vec<(String, String, String)>> {
    let rows = tx
        .conn()
        .query_all_raw(stmt(
            "SELECT table_name::text AS tbl, column_name::text AS col, \
             pg_get_serial_sequence(quote_ident(table_name), column_name)::text AS seq \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() \
             AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')",
            vec![],
        ))
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        if let Some(seq) = r.try_get::<Option<String>>("", "seq")? {
            out.push((r.try_get("", "tbl")?, r.try_get("", "col")?, seq));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load_after_the_tables_they_refer_to() {
        let tables: Vec<String> = ["paper", "consultation", "organization", "settings"]
            .map(String::from)
            .into();
        let mut links = Links::default();
        links.after.insert(
            "consultation".into(),
            ["paper".into(), "organization".into()].into(),
        );
        links
            .after
            .insert("paper".into(), ["organization".into()].into());
        let order = load_order(&tables, &links).unwrap();
        let at = |t: &str| order.iter().position(|o| o == t).unwrap();
        assert!(at("organization") < at("paper") && at("paper") < at("consultation"));
        links
            .after
            .insert("organization".into(), ["consultation".into()].into());
        assert!(load_order(&tables, &links).is_err(), "a circle is refused");
    }
}
