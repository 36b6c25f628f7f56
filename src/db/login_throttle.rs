//! The failed-login counters (see [`crate::domain::throttle`] for the rules) and the
//! addresses where an account logged in successfully.
//!
//! Times are milliseconds since the epoch: plain integers compare and add the same way on
//! both engines, inside one statement.

use crate::db::Db;
use crate::domain::throttle::BackOff;
use crate::{db_run, tx_run};

/// The rule's wait for the failure count `n` (an SQL expression) in milliseconds, as SQL:
/// the same numbers as [`BackOff::delay_secs`], written out as a table.
pub fn delay_ms_sql(rule: BackOff, n: &str) -> String {
    let saturation = rule.saturation();
    let steps: String = (rule.free..saturation)
        .map(|k| format!(" WHEN {k} THEN {}", rule.delay_secs(k) * 1000))
        .collect();
    let middle = if steps.is_empty() {
        "0".to_owned()
    } else {
        format!("CASE {n}{steps} ELSE 0 END")
    };
    format!(
        "(CASE WHEN {n} < {free} THEN 0 WHEN {n} >= {saturation} THEN {max} ELSE {middle} END)",
        free = rule.free,
        max = rule.max_secs * 1000,
    )
}

/// Counts one attempt on `key`: one statement that increments and answers, so that
/// parallel attempts are counted one after the other, and moves the key's next allowed
/// attempt by the rule's wait. With `unless_waiting`, a key that must wait is left as it
/// is and `None` answered (nothing counted).
pub async fn count(
    db: &Db,
    key: &str,
    rule: BackOff,
    now_ms: i64,
    window_ms: i64,
    unless_waiting: bool,
) -> Result<Option<i64>, sqlx::Error> {
    let count = "(CASE WHEN login_throttle.last_failure_ms < $3 THEN 1 ELSE login_throttle.failures + 1 END)";
    let sql = format!(
        "INSERT INTO login_throttle (key, failures, last_failure_ms, next_attempt_ms) \
         VALUES ($1, 1, $2, $2 + {first}) \
         ON CONFLICT (key) DO UPDATE SET failures = {count}, last_failure_ms = $2, \
         next_attempt_ms = $2 + {next}{condition} RETURNING failures",
        first = delay_ms_sql(rule, "1"),
        next = delay_ms_sql(rule, count),
        condition = if unless_waiting {
            " WHERE login_throttle.next_attempt_ms <= $2"
        } else {
            ""
        },
    );
    // Through the writer: on SQLite, parallel attempts queue instead of meeting the busy
    // handler's sleeps.
    let mut tx = db.begin_write().await?;
    let count = tx_run!(&mut tx, |conn| sqlx::query_scalar(&sql)
        .bind(key)
        .bind(now_ms)
        .bind(now_ms - window_ms)
        .fetch_optional(&mut *conn)
        .await)?;
    tx.commit().await?;
    Ok(count)
}

/// Milliseconds before `key` may try again (0 when it may).
pub async fn wait_ms(db: &Db, key: &str, now_ms: i64) -> Result<i64, sqlx::Error> {
    let next: Option<i64> = db_run!(db, |pool| sqlx::query_scalar(
        "SELECT next_attempt_ms FROM login_throttle WHERE key = $1"
    )
    .bind(key)
    .fetch_optional(pool)
    .await)?;
    Ok(next.map_or(0, |n| (n - now_ms).max(0)))
}

/// Forgets a key's failures (the right password was given).
pub async fn clear(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    write(db, "DELETE FROM login_throttle WHERE key = $1", &[key]).await
}

/// One write statement with text parameters, through the writer.
async fn write(db: &Db, sql: &str, params: &[&str]) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    tx_run!(&mut tx, |conn| {
        let mut query = sqlx::query(sql);
        for p in params {
            query = query.bind(*p);
        }
        query.execute(&mut *conn).await.map(|_| ())
    })?;
    tx.commit().await
}

/// Remembers that `email` logged in from `client`.
pub async fn remember_success(
    db: &Db,
    email: &str,
    client: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    tx_run!(&mut tx, |conn| sqlx::query(
        "INSERT INTO login_familiar (email, client, last_success_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (email, client) DO UPDATE SET last_success_ms = $3"
    )
    .bind(email)
    .bind(client)
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    tx.commit().await
}

/// Whether `email` logged in from `client` since `since_ms`.
pub async fn is_familiar(
    db: &Db,
    email: &str,
    client: &str,
    since_ms: i64,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = db_run!(db, |pool| sqlx::query_scalar(
        "SELECT last_success_ms FROM login_familiar WHERE email = $1 AND client = $2 \
         AND last_success_ms >= $3"
    )
    .bind(email)
    .bind(client)
    .bind(since_ms)
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// Drops counters idle since before `before_ms` and familiar addresses older than
/// `familiar_before_ms`; answers how many rows went.
pub async fn forget_stale(
    db: &Db,
    before_ms: i64,
    familiar_before_ms: i64,
) -> Result<u64, sqlx::Error> {
    db_run!(db, |pool| {
        let counters = sqlx::query(
            "DELETE FROM login_throttle WHERE last_failure_ms < $1 AND next_attempt_ms < $1",
        )
        .bind(before_ms)
        .execute(pool)
        .await?
        .rows_affected();
        let familiar = sqlx::query("DELETE FROM login_familiar WHERE last_success_ms < $1")
            .bind(familiar_before_ms)
            .execute(pool)
            .await?
            .rows_affected();
        Ok::<_, sqlx::Error>(counters + familiar)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::throttle::Counter;

    #[test]
    fn the_sql_table_covers_every_step_of_the_rule() {
        let rule = Counter::AccountFromClient.back_off(5);
        let sql = delay_ms_sql(rule, "n");
        assert!(sql.contains("WHEN n < 5 THEN 0"), "{sql}");
        assert!(sql.contains("WHEN 5 THEN 2000"), "{sql}");
        assert!(sql.contains(&format!("WHEN n >= {} THEN 900000", rule.saturation())));
    }
}
