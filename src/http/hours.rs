//! How the API writes hours: every number under a key with an `hours` part
//! (`attended_hours`, `planned_hours_s9`) is rounded to two decimals, and beside it the same
//! duration in whole minutes under the key with `minutes` instead (`attended_minutes`,
//! `planned_minutes_s9`): `261.67` and `15700`, never `261.6666666666667`.
//!
//! The use cases count in minutes and hand out decimal hours (pages and PDFs format them);
//! this one rule, applied to every JSON answer of `/api/v1` and to the OpenAPI document
//! (`openapi::finish`), keeps the API exact whatever answer carries hours.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value};

/// The twin key of an hours key: `attended_hours` → `attended_minutes`,
/// `planned_hours_s9` → `planned_minutes_s9`; `None` for any other key.
pub fn minutes_key(key: &str) -> Option<String> {
    let parts: Vec<&str> = key.split('_').collect();
    parts.contains(&"hours").then(|| {
        parts
            .iter()
            .map(|p| if *p == "hours" { "minutes" } else { p })
            .collect::<Vec<_>>()
            .join("_")
    })
}

/// Decimal hours rounded to two decimals (to the nearest 36 seconds).
pub fn rounded(hours: f64) -> f64 {
    (hours * 100.0).round() / 100.0
}

/// The duration in whole minutes (exact for hours counted from minutes).
pub fn minutes(hours: f64) -> i64 {
    (hours * 60.0).round() as i64
}

/// Rounds every hours number of `value` and adds its minutes twin; answers whether anything
/// was added or changed. A twin the answer already carries is kept as it is.
pub fn add_minutes(value: &mut Value) -> bool {
    match value {
        Value::Object(map) => add_minutes_to(map),
        Value::Array(items) => {
            // Every item, not only up to the first change.
            let mut changed = false;
            for v in items {
                changed |= add_minutes(v);
            }
            changed
        }
        _ => false,
    }
}

fn add_minutes_to(map: &mut Map<String, Value>) -> bool {
    let mut changed = false;
    let mut twins = Vec::new();
    for (key, v) in map.iter_mut() {
        match minutes_key(key) {
            Some(twin) if v.is_number() || v.is_null() => {
                if let Some(h) = v.as_f64() {
                    let r = rounded(h);
                    if r != h {
                        *v = Value::from(r);
                        changed = true;
                    }
                    twins.push((twin, Value::from(minutes(h))));
                } else {
                    twins.push((twin, v.clone()));
                }
            }
            _ => changed |= add_minutes(v),
        }
    }
    for (twin, minutes) in twins {
        if !map.contains_key(&twin) {
            map.insert(twin, minutes);
            changed = true;
        }
    }
    changed
}

/// Middleware of `/api/v1`: rewrites a JSON answer that carries hours (see the module).
pub async fn exact_hours(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(error = %e, "a JSON answer could not be read back");
            return Response::from_parts(parts, Body::empty());
        }
    };
    let rewritten = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|mut value| add_minutes(&mut value).then_some(value))
        .and_then(|value| serde_json::to_vec(&value).ok());
    match rewritten {
        Some(body) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(body))
        }
        None => Response::from_parts(parts, Body::from(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hours_are_rounded_beside_their_exact_minutes() {
        let mut v = json!({
            "attended_hours": 15700.0 / 60.0,
            "planned_hours_s9": 270.0,
            "upcoming_hours": null,
            "session_minutes": 240,
            "semesters": [{"absence_hours": 40.0 / 60.0, "attendance_rate": 0.4821}],
        });
        assert!(add_minutes(&mut v));
        assert_eq!(
            v,
            json!({
                "attended_hours": 261.67, "attended_minutes": 15700,
                "planned_hours_s9": 270.0, "planned_minutes_s9": 16200,
                "upcoming_hours": null, "upcoming_minutes": null,
                "session_minutes": 240,
                "semesters": [{"absence_hours": 0.67, "absence_minutes": 40, "attendance_rate": 0.4821}],
            })
        );
        // A twin already there stays; an answer without hours is left alone.
        let mut both = json!({"planned_hours": 1.5, "planned_minutes": 90});
        assert!(!add_minutes(&mut both));
        let mut none = json!({"rate": 0.5, "items": [{"name": "x"}]});
        assert!(!add_minutes(&mut none));
        assert_eq!(minutes_key("hours_done"), Some("minutes_done".to_owned()));
        assert_eq!(minutes_key("shours"), None);
    }
}
