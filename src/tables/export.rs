//! An inline table's rows as CSV: every row the list's search, filters and sort select, not
//! only the page shown, streamed as the database returns them (memory stays flat however many
//! rows there are).
//!
//! The cells are written for a spreadsheet: times in the studio's zone (the header names it),
//! money as a decimal string beside a currency column, choices and references by their
//! labels. A text cell that a spreadsheet would read as a formula (it begins with `=`, `+`,
//! `-`, `@`, a tab or a carriage return) is neutralised with a leading `'`, as OWASP's
//! guidance on CSV injection says; the numbers we write ourselves (amounts, counts) are left as
//! numbers. The `csv` crate quotes whatever needs quoting.

use bytes::Bytes;
use futures_util::{Stream, TryStreamExt as _};
use poem::http::header;
use poem::{Body, Response};
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use jiff::tz::TimeZone;

use super::{
    Column, Cut, Kind, ListQuery, Refs, TableSpec, Value, conditions, decode, select_list,
    where_sql,
};
use crate::money::Currency;
use crate::state::AppState;
use crate::tables::views::display_text;

/// Rows written before a chunk goes to the client.
const CHUNK_BYTES: usize = 64 * 1024;

/// What a spreadsheet opening the file needs.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvOptions {
    /// Start with a UTF-8 byte order mark: Excel then reads the file as UTF-8.
    pub bom: bool,
}

/// The rows of `spec` that `q` selects, as a stream of CSV chunks. The rows are read by a
/// task of their own, which holds `turn` (from `Db::long_read`) until it ends; an error
/// half-way ends the stream with that error, so the download fails visibly rather than ending
/// short.
pub fn csv_stream(
    state: &AppState,
    spec: &'static TableSpec,
    q: ListQuery,
    options: CsvOptions,
    turn: OwnedSemaphorePermit,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    let state = state.clone();
    tokio::spawn(async move {
        let _turn = turn;
        if let Err(e) = write_rows(&state, spec, &q, options, &tx).await {
            tracing::warn!(table = spec.name, error = %e, "CSV export failed half-way");
            let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    })
}

/// The header row: each column's label (with the zone for times), and `Currency` when the
/// table has amounts.
fn header(spec: &TableSpec, zone: &TimeZone) -> Vec<String> {
    let zone_name = zone.iana_name().unwrap_or("UTC");
    let mut out: Vec<String> = spec
        .columns
        .iter()
        .map(|c| match c.kind {
            Kind::Timestamp => format!("{} ({zone_name})", c.label),
            _ => c.label.to_owned(),
        })
        .collect();
    if has_money(spec) {
        out.push("Currency".to_owned());
    }
    out
}

fn has_money(spec: &TableSpec) -> bool {
    spec.columns
        .iter()
        .any(|c| matches!(c.kind, Kind::Money { .. }))
}

/// One cell as the file carries it.
fn cell(col: &Column, value: &Value, currency: Currency, zone: &TimeZone, refs: &Refs) -> String {
    match (col.kind, value) {
        (_, Value::Int(None) | Value::Text(None)) => String::new(),
        (Kind::Money { .. }, Value::Int(Some(v))) => currency.plain(*v),
        (Kind::Bool, Value::Int(Some(v))) => (if *v != 0 { "yes" } else { "no" }).to_owned(),
        (Kind::Timestamp, Value::Int(Some(v))) => jiff::Timestamp::from_second(*v)
            .map(|at| {
                at.to_zoned(zone.clone())
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_default(),
        (Kind::Amounts, Value::Text(Some(t))) => crate::tables::amounts(t)
            .iter()
            .map(|m| format!("{} {}", m.currency.code(), m.currency.plain(m.minor)))
            .collect::<Vec<_>>()
            .join("; "),
        (Kind::Choice(_) | Kind::Ref { .. }, _) => {
            neutralise(display_text(col, Some(value), currency, refs))
        }
        (_, Value::Int(Some(v))) => v.to_string(),
        (_, Value::Text(Some(t))) => neutralise(t.clone()),
    }
}

/// A text cell a spreadsheet would take for a formula, made inert with a leading `'`.
pub fn neutralise(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

/// Reads the rows and sends them to `tx` in chunks of about [`CHUNK_BYTES`]; stops quietly
/// when the client has gone.
async fn write_rows(
    state: &AppState,
    spec: &'static TableSpec,
    q: &ListQuery,
    options: CsvOptions,
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> anyhow::Result<()> {
    let refs = super::ref_options(state, spec).await?;
    let zone = state.settings.time_zone.clone();
    let money = has_money(spec);
    let cut = Cut::of(state, spec, q).await?;
    let (conditions, binds) = conditions(state, spec, q, true);
    let sql = format!(
        "select {} from {} {} order by {key} {dir}, id {dir}",
        select_list(spec),
        spec.table,
        where_sql(&conditions),
        key = cut.key,
        dir = cut.dir,
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for v in &binds {
        query = match v {
            Value::Text(v) => query.bind(v.clone()),
            Value::Int(v) => query.bind(*v),
        };
    }
    let mut rows = query.fetch(state.db.pool());

    let mut out = writer(options.bom);
    out.write_record(header(spec, &zone))?;
    while let Some(raw) = rows.try_next().await? {
        let row = decode(spec, &raw)?;
        let currency = row.currency.unwrap_or(state.settings.currency);
        let mut record: Vec<String> = spec
            .columns
            .iter()
            .zip(&row.values)
            .map(|(c, v)| cell(c, v, currency, &zone, &refs))
            .collect();
        if money {
            record.push(currency.code().to_owned());
        }
        out.write_record(&record)?;
        if out.get_ref().len() >= CHUNK_BYTES {
            let chunk = std::mem::replace(&mut out, writer(false));
            if tx.send(Ok(Bytes::from(finish(chunk)?))).await.is_err() {
                return Ok(());
            }
        }
    }
    let _ = tx.send(Ok(Bytes::from(finish(out)?))).await;
    Ok(())
}

/// A CSV writer into memory, starting with a UTF-8 byte order mark when `bom` (Excel then
/// reads the file as UTF-8).
pub fn writer(bom: bool) -> csv::Writer<Vec<u8>> {
    let mut start = Vec::with_capacity(CHUNK_BYTES + 8192);
    if bom {
        start.extend_from_slice("\u{feff}".as_bytes());
    }
    csv::Writer::from_writer(start)
}

/// A CSV download named `filename`: an attachment, never cached.
pub fn csv_response(filename: &str, body: impl Into<Body>) -> Response {
    Response::builder()
        .content_type("text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
}

/// The bytes a writer holds, its buffer flushed.
pub fn finish(writer: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, csv::Error> {
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn a_cell_a_spreadsheet_would_run_comes_out_inert() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(neutralise(formula.to_owned()), format!("'{formula}"));
        }
        for plain in ["Ana", "", "1-2", "a=b", "Studio @ Marina", "'quoted"] {
            assert_eq!(neutralise(plain.to_owned()), plain);
        }
    }
}
