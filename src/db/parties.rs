//! Companies, tutors, students and teachers: what the records' rules read of them.

use super::Db;
use crate::db_run;

/// The company a tutor works for.
pub async fn tutor_company(db: &Db, tutor: i64) -> Result<i64, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT company_id FROM tutors WHERE id = $1"
    )
    .bind(tutor)
    .fetch_one(pool)
    .await)
}
